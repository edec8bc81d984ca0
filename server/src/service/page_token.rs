//! Page tokens: where a cursor walk of the list goes on. A token holds the sort value and ID
//! of the last row a page showed, and a MAC over it, the tenant and the query it belongs to,
//! under the deployment's key (`server_secrets`, shared by every server of the database). So a
//! token is opaque to clients, good at any server, and anything not given by us, or given for
//! another tenant or another search, filter or sort, is refused with 400 before any SQL runs.
//!
//! A walk by position never shows a row twice and never skips one that existed throughout,
//! whatever is created or deleted meanwhile: each page starts after the last row shown, in an
//! order that the ID makes total.

use crate::store::havips::{Position, SortValue};
use app::domain::list_query::ListQuery;
use app::domain::{AppError, Field};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// The name of the signing key in `server_secrets`.
pub const SECRET_NAME: &str = "page_token_key";
/// Bytes of the MAC kept in a token: 128 bits, beyond guessing.
const MAC_BYTES: usize = 16;
const VERSION: u8 = 1;

pub struct PageTokens {
    key: hmac::Key,
}

impl PageTokens {
    /// Tokens signed with `secret` (the stored key, any length).
    pub fn new(secret: &[u8]) -> PageTokens {
        PageTokens { key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    pub fn issue(&self, tenant: &str, query: &ListQuery, position: &Position) -> String {
        let mut token = encode(position);
        let mac = self.mac(tenant, query, &token);
        token.extend_from_slice(&mac.as_ref()[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// The position in `token`, if this deployment gave it for this tenant and query.
    pub fn read(&self, tenant: &str, query: &ListQuery, token: &str) -> Result<Position, AppError> {
        let refused = || {
            AppError::invalid_parameter(
                Field::PageToken,
                "page_token is not one this server gave for this search, filter and sort: pass next_page_token as it came, with the same query",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| refused())?;
        let split = bytes.len().checked_sub(MAC_BYTES).ok_or_else(refused)?;
        let (body, mac) = bytes.split_at(split);
        let expected = self.mac(tenant, query, body);
        // Compared in constant time: how far a guess matched must not show in the answer's time.
        let differs = expected.as_ref()[..MAC_BYTES].iter().zip(mac).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 {
            return Err(refused());
        }
        decode(body).ok_or_else(refused)
    }

    fn mac(&self, tenant: &str, query: &ListQuery, body: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        // Lengths first, so that no two (tenant, query, body) run together the same way.
        let bound = serde_json::to_vec(&query.ordered_filters()).unwrap_or_default();
        for part in [tenant.as_bytes(), bound.as_slice(), body] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        context.sign()
    }
}

/// version, kind (0 integer, 1 text), the value (8 bytes, or a 2-byte length and UTF-8), the ID.
fn encode(position: &Position) -> Vec<u8> {
    let mut out = vec![VERSION];
    match &position.key {
        SortValue::Int(value) => {
            out.push(0);
            out.extend_from_slice(&value.to_be_bytes());
        }
        SortValue::Text(text) => {
            out.push(1);
            out.extend_from_slice(&(text.len() as u16).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
    }
    out.extend_from_slice(position.id.as_bytes());
    out
}

fn decode(body: &[u8]) -> Option<Position> {
    let (&version, rest) = body.split_first()?;
    let (&kind, rest) = rest.split_first()?;
    if version != VERSION {
        return None;
    }
    let (key, id) = match kind {
        0 => {
            let (value, id) = rest.split_at_checked(8)?;
            (SortValue::Int(i64::from_be_bytes(value.try_into().ok()?)), id)
        }
        1 => {
            let (length, rest) = rest.split_at_checked(2)?;
            let (text, id) = rest.split_at_checked(usize::from(u16::from_be_bytes(length.try_into().ok()?)))?;
            (SortValue::Text(String::from_utf8(text.to_vec()).ok()?), id)
        }
        _ => return None,
    };
    Some(Position { key, id: String::from_utf8(id.to_vec()).ok()? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::list_query::{SortKey, SortOrder};

    fn name_query() -> ListQuery {
        ListQuery { sort: SortKey::Name, order: SortOrder::Asc, q: Some("web".into()), ..ListQuery::default() }
    }

    #[test]
    fn a_token_reads_back_for_its_tenant_and_query_only() {
        let tokens = PageTokens::new(b"key");
        let query = name_query();
        for position in [
            Position { key: SortValue::Text("数据库-主".into()), id: "havip-1".into() },
            Position { key: SortValue::Int(-5), id: "havip-2".into() },
        ] {
            let token = tokens.issue("t1", &query, &position);
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(tokens.read("t1", &query, &token).expect("its own"), position);
            let bigger_pages = ListQuery { page_size: 100, ..query.clone() };
            assert_eq!(tokens.read("t1", &bigger_pages, &token).expect("page size may change"), position);
            assert!(tokens.read("t2", &query, &token).is_err(), "another tenant");
            let reversed = ListQuery { order: SortOrder::Desc, ..query.clone() };
            assert!(tokens.read("t1", &reversed, &token).is_err(), "another order");
            let other_search = ListQuery { q: Some("db".into()), ..query.clone() };
            assert!(tokens.read("t1", &other_search, &token).is_err(), "another search");
            assert!(PageTokens::new(b"other key").read("t1", &query, &token).is_err(), "another deployment");
        }
    }

    #[test]
    fn altered_or_made_up_tokens_are_refused() {
        let tokens = PageTokens::new(b"key");
        let query = name_query();
        let token = tokens.issue("t1", &query, &Position { key: SortValue::Text("a".into()), id: "havip-1".into() });
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        bytes[3] ^= 1;
        for forged in [URL_SAFE_NO_PAD.encode(&bytes), token[..token.len() - 2].to_owned(), "AAAA".into(), "x".into()] {
            let error = tokens.read("t1", &query, &forged).expect_err("forged");
            assert_eq!(error.field, Some(Field::PageToken));
        }
    }
}
