//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers.

use super::rest::{havips, inventory, tokens};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "HAVIP Console API", description = "High-availability virtual IPs of a tenant's VPC subnets."),
    paths(
        havips::list, havips::get, havips::create, havips::update, havips::delete, havips::attach_vm, havips::detach_vm,
        havips::batch_delete, super::export::download,
        inventory::vpcs, inventory::subnets, inventory::vms, inventory::projects, inventory::sync,
        tokens::list, tokens::create, tokens::revoke,
    ),
    components(schemas(
        app::domain::status::HavipStatus,
        app::domain::havip::VpcRef, app::domain::havip::SubnetRef, app::domain::havip::VmRef, app::domain::havip::ProjectRef,
        app::api::error::ErrorBody,
    )),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags((name = "havips", description = "HAVIPs and their bound VMs"), (name = "inventory", description = "VPCs, subnets, VMs and projects"),
        (name = "tokens", description = "The caller's own API tokens")),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::service::SESSION_COOKIE))),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
