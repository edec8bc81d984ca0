"""Schemathesis hooks for scripts/fuzz-api.sh: what the API document cannot state.

`page_token` (GET /api/v1/havips) is opaque: the only valid values are the empty string (none)
and the next_page_token the server signed for this tenant and query, which no schema can
describe. Its format, `page-token`, is therefore generated as the empty string in positive
cases, so that positive_data_acceptance checks every other parameter as before; tokens that are
not the server's are negative by nature and refused with 400, which the Rust tests check
(server/tests/api/page_tokens.rs), as negative generation does for the length limit.
"""

from hypothesis import strategies as st

import schemathesis

schemathesis.openapi.format("page-token", st.just(""))
