//! What a statement binds: [`Param`], any value both drivers can bind, and [`Params`], the
//! list `params![..]`, `[a, b]`, `[]` and [`params_from_iter`] build.

/// A value both drivers can bind.
///
/// PostgreSQL is strict where SQLite is not: every integer column is `bigint`, so every integer
/// (and `bool`, stored as 0/1 as in SQLite) is bound as an `i64` whatever its Rust width.
pub trait Param {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql;
    fn to_postgres(&self) -> PgValue<'_>;
}

/// A parameter as the PostgreSQL driver binds it.
pub enum PgValue<'a> {
    Integer(Option<i64>),
    Borrowed(&'a (dyn ::postgres::types::ToSql + Sync)),
}

impl PgValue<'_> {
    pub(crate) fn as_to_sql(&self) -> &(dyn ::postgres::types::ToSql + Sync) {
        match self {
            PgValue::Integer(value) => value,
            PgValue::Borrowed(value) => *value,
        }
    }
}

macro_rules! borrowed_params {
    ($($ty:ty),*) => {$(
        impl Param for $ty {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Borrowed(self)
            }
        }
    )*};
}
borrowed_params!(
    String,
    &str,
    Vec<u8>,
    &[u8],
    Option<String>,
    Option<&str>,
    Option<Vec<u8>>,
    Option<&[u8]>
);

macro_rules! integer_params {
    ($($ty:ty),*) => {$(
        impl Param for $ty {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Integer(Some(i64::try_from(*self).unwrap_or(i64::MAX)))
            }
        }
        impl Param for Option<$ty> {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Integer(self.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
    )*};
}
integer_params!(i64, i32, i16, u8, u16, u32, u64, usize);

impl Param for bool {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn to_postgres(&self) -> PgValue<'_> {
        PgValue::Integer(Some(i64::from(*self)))
    }
}

impl<T: Param> Param for &T {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        (**self).as_sqlite()
    }
    fn to_postgres(&self) -> PgValue<'_> {
        (**self).to_postgres()
    }
}

/// A parameter only PostgreSQL binds: an array for `unnest` (`row_batch.rs`). Bound on SQLite it
/// is an error, never a silent NULL.
pub struct PgOnly<T>(pub T);

impl<T> rusqlite::ToSql for PgOnly<T> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Err(rusqlite::Error::ToSqlConversionFailure(
            "a PostgreSQL-only parameter bound on SQLite".into(),
        ))
    }
}

impl<T: ::postgres::types::ToSql + Sync> Param for PgOnly<T> {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn to_postgres(&self) -> PgValue<'_> {
        PgValue::Borrowed(&self.0)
    }
}

/// A dynamically typed parameter (filters built at run time).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Param for Value {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        match self {
            Value::Null => &rusqlite::types::Null,
            Value::Integer(value) => value,
            Value::Text(value) => value,
            Value::Blob(value) => value,
        }
    }
    fn to_postgres(&self) -> PgValue<'_> {
        match self {
            Value::Null => PgValue::Integer(None),
            Value::Integer(value) => PgValue::Integer(Some(*value)),
            Value::Text(value) => PgValue::Borrowed(value),
            Value::Blob(value) => PgValue::Borrowed(value),
        }
    }
}

/// The parameters of one statement: `params![a, b]`, `[a, b]`, `[]`, `params_from_iter(..)`.
pub trait Params {
    fn list(&self) -> Vec<&dyn Param>;
}

impl Params for &[&dyn Param] {
    fn list(&self) -> Vec<&dyn Param> {
        self.to_vec()
    }
}

/// `[]`: no parameters (a type of its own, as in rusqlite, so that `[]` needs no annotation).
impl Params for [&dyn Param; 0] {
    fn list(&self) -> Vec<&dyn Param> {
        Vec::new()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: Param> Params for [T; $n] {
            fn list(&self) -> Vec<&dyn Param> {
                self.iter().map(|value| value as &dyn Param).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters from an iterator of values.
pub struct ParamsFromIter<T>(Vec<T>);

impl<T: Param> Params for ParamsFromIter<T> {
    fn list(&self) -> Vec<&dyn Param> {
        self.0.iter().map(|value| value as &dyn Param).collect()
    }
}

/// `rusqlite::params_from_iter`.
pub fn params_from_iter<T: Param>(values: impl IntoIterator<Item = T>) -> ParamsFromIter<T> {
    ParamsFromIter(values.into_iter().collect())
}

/// `rusqlite::params!`: a slice of [`Param`]s.
#[macro_export]
#[doc(hidden)]
macro_rules! store_params {
    () => {
        &[] as &[&dyn $crate::store::db::Param]
    };
    ($($value:expr),+ $(,)?) => {
        &[$(&$value as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param]
    };
}
pub use crate::store_params as params;
