//! The keys a serde type accepts, found by asking its `Deserialize` impl: a probing deserializer walks down
//! one path of field names and, at its end, records what the derived code asks for there — a struct and its
//! field names, a map of free-form keys, a list, or a plain value. Listing the struct's fields needs no
//! valid input, so every key of a config type is found whatever its validation demands.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// What a key holds, as serde sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A struct: a table of these keys.
    Struct(Vec<&'static str>),
    /// A map of free-form keys.
    Map,
    /// A list of this.
    Seq(Box<Shape>),
    /// A value: a string, number, boolean, an enum, or anything read through `deserialize_any`.
    Value,
}

/// Every key `T` accepts, by dotted path (`kafka.tls.ca_file`; the keys of an array of tables as
/// `collect.path`), with its shape.
pub fn accepted_keys<T: for<'de> Deserialize<'de>>() -> BTreeMap<String, Shape> {
    let mut keys = BTreeMap::new();
    let Shape::Struct(fields) = shape_at::<T>(&[]) else {
        panic!("a config file is a struct");
    };
    walk::<T>(&mut Vec::new(), &fields, &mut keys);
    keys
}

fn walk<T: for<'de> Deserialize<'de>>(
    path: &mut Vec<&'static str>,
    fields: &[&'static str],
    keys: &mut BTreeMap<String, Shape>,
) {
    for field in fields {
        path.push(field);
        let shape = shape_at::<T>(path);
        keys.insert(path.join("."), shape.clone());
        match shape {
            Shape::Struct(sub) => walk::<T>(path, &sub, keys),
            Shape::Seq(inner) => {
                if let Shape::Struct(sub) = *inner {
                    walk::<T>(path, &sub, keys);
                }
            }
            Shape::Map | Shape::Value => {}
        }
        path.pop();
    }
}

/// The shape at `path` in `T`.
fn shape_at<T: for<'de> Deserialize<'de>>(path: &[&'static str]) -> Shape {
    let found = RefCell::new(None);
    let probe = Probe {
        path,
        found: &found,
        in_seq: false,
    };
    // The probe always ends in an error: it has recorded what it was looking for by then.
    let _ = T::deserialize(probe);
    found
        .into_inner()
        .unwrap_or_else(|| panic!("nothing found at {}", path.join(".")))
}

type Error = de::value::Error;

#[derive(Clone, Copy)]
struct Probe<'a> {
    /// The fields still to walk down.
    path: &'a [&'static str],
    found: &'a RefCell<Option<Shape>>,
    /// Whether the value at the end of the path is a list (its elements are probed).
    in_seq: bool,
}

impl Probe<'_> {
    fn record(self, shape: Shape) -> Error {
        let shape = if self.in_seq {
            Shape::Seq(Box::new(shape))
        } else {
            shape
        };
        *self.found.borrow_mut() = Some(shape);
        de::Error::custom("recorded")
    }

    /// A value: recorded at the end of the path; a path that goes on through it is not a key.
    fn value<V>(self) -> Result<V, Error> {
        if self.path.is_empty() {
            Err(self.record(Shape::Value))
        } else {
            Err(de::Error::custom("a value has no keys"))
        }
    }
}

macro_rules! values {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
            self.value()
        })*
    };
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Error;

    values! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.value()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let element = Probe {
            in_seq: self.path.is_empty(),
            ..self
        };
        visitor.visit_seq(OneElement(Some(element)))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.record(Shape::Map))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.path.split_first() {
            None => Err(self.record(Shape::Struct(fields.to_vec()))),
            Some((field, rest)) => visitor.visit_map(OneField {
                field: Some(field),
                value: Probe {
                    path: rest,
                    found: self.found,
                    in_seq: false,
                },
            }),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.value()
    }
}

/// A list holding one element, probed.
struct OneElement<'a>(Option<Probe<'a>>);

impl<'de> SeqAccess<'de> for OneElement<'_> {
    type Error = Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.0.take() {
            Some(probe) => seed.deserialize(probe).map(Some),
            None => Ok(None),
        }
    }
}

/// A table holding one key, the next field of the path, whose value is probed.
struct OneField<'a> {
    field: Option<&'static str>,
    value: Probe<'a>,
}

impl<'de> MapAccess<'de> for OneField<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.field.take() {
            Some(field) => seed.deserialize(field.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self.value)
    }
}
