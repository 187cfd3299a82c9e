//! Struct-typed wire fields that take a JSON object and nothing else.
//!
//! serde's derived `Deserialize` for a struct also accepts a sequence of its fields in order, so
//! `"source": []` would parse as an empty [`CardSource`](crate::card::CardSource) and a request
//! WeCom refuses with 40058 would be accepted. Every field whose type is one of our structs
//! therefore goes through [`Object`], which visits maps only; anything else fails with serde's
//! `invalid type: …, expected an object`, which `validate` words as WeCom does. Wrapping the
//! visitor costs nothing measurable: the map is handed to the derived code unchanged.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `T` that was a JSON object on the wire (never an array, a number, a string or a boolean).
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// `deserialize_with` for an `Option<Struct>` field: `null` is `None`, an object is `Some`.
pub(crate) fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Object<T>>::deserialize(deserializer).map(|value| value.map(|Object(inner)| inner))
}

/// `deserialize_with` for a `Vec<Struct>` field: an array whose every element is an object.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    // `Object<T>` has the layout of `T`, so this collect reuses the vector's allocation.
    Vec::<Object<T>>::deserialize(deserializer)
        .map(|items| items.into_iter().map(|Object(inner)| inner).collect())
}

/// `deserialize_with` for an `Option<Vec<Struct>>` field: `null` is `None`.
pub(crate) fn optional_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<Object<T>>>::deserialize(deserializer)
        .map(|items| items.map(|items| items.into_iter().map(|Object(inner)| inner).collect()))
}
