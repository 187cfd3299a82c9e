//! What a statement answers: a [`Row`] whose columns read as any [`Column`] type, the same from
//! both engines.

use super::{Error, Result};

/// A column value read as a Rust type.
pub trait Column: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self>;
    fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self>;
}

macro_rules! column_via_both_drivers {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                Ok(row.try_get(index)?)
            }
        }
    )*};
}
column_via_both_drivers!(String, Vec<u8>, Option<String>, Option<Vec<u8>>);

/// Integers: PostgreSQL answers `int4` for some expressions (`length()`, literals) where SQLite
/// has one integer type; both read as the width asked for.
fn postgres_integer(row: &::postgres::Row, index: usize) -> Result<Option<i64>> {
    use ::postgres::types::Type;
    let ty = row.columns()[index].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index)?
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index)?.map(i64::from)
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(index)?.map(i64::from)
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(index)?.map(i64::from)
    } else {
        return Err(Error::Type {
            column: index,
            wanted: "integer",
        });
    })
}

macro_rules! integer_column {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                let value = postgres_integer(row, index)?.ok_or(Error::Type {
                    column: index,
                    wanted: "integer (not NULL)",
                })?;
                <$ty>::try_from(value).map_err(|_| Error::Type { column: index, wanted: stringify!($ty) })
            }
        }
        impl Column for Option<$ty> {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                postgres_integer(row, index)?
                    .map(|value| <$ty>::try_from(value).map_err(|_| Error::Type { column: index, wanted: stringify!($ty) }))
                    .transpose()
            }
        }
    )*};
}
integer_column!(i64, i32, u32, u64, usize, u16);

impl Column for bool {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        Ok(row.get(index)?)
    }
    fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
        Ok(i64::from_postgres(row, index)? != 0)
    }
}

/// Index of a column: its position.
pub trait RowIndex {
    fn position(&self) -> usize;
}

impl RowIndex for usize {
    fn position(&self) -> usize {
        *self
    }
}

/// One row of a result.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a ::postgres::Row),
}

impl Row<'_> {
    /// The column at `index` as a `T`.
    ///
    /// # Errors
    /// The column does not exist or is not a `T`.
    pub fn get<I: RowIndex, T: Column>(&self, index: I) -> Result<T> {
        match self {
            Row::Sqlite(row) => T::from_sqlite(row, index.position()),
            Row::Postgres(row) => T::from_postgres(row, index.position()),
        }
    }
}
