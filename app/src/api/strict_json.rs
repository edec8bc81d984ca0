//! JSON request bodies read strictly: a struct is read from a JSON object, never from an array.
//!
//! serde_json lets a derived struct be read from an array of its fields in order, so
//! `["web", null, "vpc-…", "subnet-…"]` would be taken as a create request: a client could come
//! to depend on field order by accident, and a wrong length was answered with an error that
//! names our Rust types. Bodies are parsed into a JSON value first, then read from it by a
//! deserializer that offers a struct nothing but an object. REST bodies (`ApiJson` in the
//! server) and the console's server functions ([`StrictJson`]) both read through here.

use leptos::server_fn::Bytes;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use serde::{Deserializer, Serialize};
use serde_json::{Error, Value};

/// Reads `T` from JSON bytes; a struct anywhere in `T` must be a JSON object.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let value: Value = serde_json::from_slice(bytes)?;
    T::deserialize(Strict(&value))
}

/// The server functions' argument encoding: JSON in a POST body, read by [`from_slice`].
pub struct StrictJsonEncoding;

/// Use as `#[server(…, input = StrictJson)]`.
pub type StrictJson = Post<StrictJsonEncoding>;

impl ContentType for StrictJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for StrictJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for StrictJsonEncoding {
    type Error = Error;

    fn encode(value: &T) -> Result<Bytes, Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for StrictJsonEncoding {
    type Error = Error;

    fn decode(bytes: Bytes) -> Result<T, Error> {
        from_slice(&bytes)
    }
}

/// A JSON value as serde input, with structs read from objects only.
struct Strict<'de>(&'de Value);

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                // JSON has one kind of number: `2.0` is the integer 2 (as JSON Schema's
                // `integer` says), so an integer field takes it.
                (_, _, Some(f)) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                    visitor.visit_i64(f as i64)
                }
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(de::Error::invalid_type(Unexpected::Other("number"), &visitor)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Elements(items.iter())),
            Value::Object(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
            other => Err(de::Error::invalid_type(unexpected(other), &"a JSON object")),
        }
    }

    /// Enums of requests are names (`"created_at"`, `"available"`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(name) => visitor.visit_enum(name.as_str().into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(other), &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct Elements<'de>(std::slice::Iter<'de, Value>);

impl<'de> de::SeqAccess<'de> for Elements<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|value| seed.deserialize(Strict(value))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    entries: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().ok_or_else(|| de::Error::custom("a value was asked for before its key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::input::{BatchDeleteRequest, CreateHavipRequest};
    use crate::domain::inventory::InventoryDocument;
    use crate::domain::list_query::{ListQuery, SortKey};

    #[test]
    fn reads_objects_as_serde_json_does() {
        let json = br#"{"name":"web","vpc_id":"vpc-aaaaaaaa","subnet_id":"subnet-aaaaaaaa","vm_ids":["vm-aaaaaaaa"]}"#;
        let strict: CreateHavipRequest = from_slice(json).expect("strict");
        let loose: CreateHavipRequest = serde_json::from_slice(json).expect("loose");
        assert_eq!(strict, loose);
        let query: ListQuery = from_slice(
            br#"{"q":null,"statuses":["available"],"vpc_id":null,"subnet_id":null,"project_id":null,
                "vm_id":null,"sort":"ip","order":"asc","page":2,"page_size":50}"#,
        )
        .expect("list query");
        assert_eq!((query.sort, query.page), (SortKey::Ip, 2));
    }

    #[test]
    fn refuses_a_struct_written_as_an_array_at_any_depth() {
        let top = from_slice::<CreateHavipRequest>(br#"["web", null, "vpc-aaaaaaaa", "subnet-aaaaaaaa"]"#);
        let message = top.expect_err("top-level array").to_string();
        assert_eq!(message, "invalid type: sequence, expected a JSON object");
        assert!(!message.contains("CreateHavipRequest"), "no internal type names");
        let nested = from_slice::<InventoryDocument>(br#"{"vpcs":[["vpc-aaaaaaaa","v","10.0.0.0/16",null,[]]]}"#);
        assert!(nested.is_err(), "a nested struct as an array");
        assert!(from_slice::<BatchDeleteRequest>(br#"[["havip-aaaaaaaa"]]"#).is_err());
    }

    #[test]
    fn keeps_serde_json_errors_for_everything_else() {
        let unknown = from_slice::<BatchDeleteRequest>(br#"{"ids":[],"colour":"red"}"#).expect_err("unknown field");
        assert!(unknown.to_string().starts_with("unknown field `colour`"), "{unknown}");
        let missing = from_slice::<BatchDeleteRequest>(b"{}").expect_err("missing");
        assert_eq!(missing.to_string(), "missing field `ids`");
        let whole: crate::domain::input::UpdateHavipRequest = from_slice(br#"{"version":2.0}"#).expect("2.0 is 2");
        assert_eq!(whole.version, Some(2));
        assert!(from_slice::<crate::domain::input::UpdateHavipRequest>(br#"{"version":2.5}"#).is_err());
        let typed = from_slice::<BatchDeleteRequest>(br#"{"ids":5}"#).expect_err("type");
        assert!(typed.to_string().starts_with("invalid type: integer `5`"), "{typed}");
        assert!(from_slice::<BatchDeleteRequest>(b"{").is_err(), "malformed JSON");
    }
}
