//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers.
//!
//! Each handler documents what is particular to it (its success, its conflicts and rule
//! violations). The error answers that follow from the kind of route are added here, once, by
//! [`ErrorAnswers`], so that no route can forget them: every route needs a caller (401) and a
//! database (503); one that reads parameters or a body can be malformed (400); one with an ID in
//! its path can name nothing (404); one with a body can be too large (413); and any can be
//! refused (403): a write from another site, an agent token anywhere but on its own routes.

use super::rest::{ha, havips, inventory, operations, tokens, users};
use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "HAVIP Console API", description = "High-availability virtual IPs of a tenant's VPC subnets."),
    paths(
        havips::list, havips::get, havips::create, havips::update, havips::delete, havips::attach_vm, havips::detach_vm,
        havips::batch_delete, super::export::download, super::export::download_xlsx,
        inventory::vpcs, inventory::subnets, inventory::vms, inventory::projects, inventory::sync,
        tokens::list, tokens::create, tokens::revoke,
        users::list, users::create, users::update, users::reset_password, users::delete,
        operations::list, super::export::operations,
        ha::report, ha::assignments, ha::keepalived_config, ha::events, ha::create_agent_token,
    ),
    components(schemas(
        app::domain::status::HavipStatus, app::domain::ha::Health, app::domain::list_query::SortKey, app::domain::list_query::SortOrder,
        app::domain::havip::VpcRef, app::domain::havip::SubnetRef, app::domain::havip::VmRef, app::domain::havip::ProjectRef,
        app::api::error::ErrorBody, app::api::error::ErrorResponse, app::domain::caller::Role, super::export::ExportFormat,
    )),
    modifiers(&Security, &ErrorAnswers),
    security(("bearer" = []), ("session" = [])),
    tags((name = "havips", description = "HAVIPs and their bound VMs"), (name = "inventory", description = "VPCs, subnets, VMs and projects"),
        (name = "tokens", description = "The caller's own API tokens"),
        (name = "users", description = "The tenant's users, for its admins"),
        (name = "operations", description = "The operation log: who did what, when, and how it ended"),
        (name = "ha", description = "Live HA state: agents' reports, keepalived configurations, history")),
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(super::cookies::SESSION_COOKIE))),
        );
    }
}

/// Adds the error answers every route of a kind gives (see the module's comment).
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                add_error_answers(operation);
            }
        }
    }
}

fn add_error_answers(operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_path_id = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let has_input = !parameters.is_empty() || operation.request_body.is_some();
    let answers = [
        (has_input, "400", "The request is malformed: a parameter or the body is not what this operation takes"),
        (true, "401", "No valid session cookie or bearer token came with the request"),
        (true, "403", "Refused: a cross-site write, an agent token off its own routes, or what the caller may not do"),
        (has_path_id, "404", "No such resource in the caller's tenant"),
        (operation.request_body.is_some(), "413", "The body is over 1 MiB"),
        (true, "503", "The database cannot be reached; try again"),
    ];
    for (applies, status, description) in answers {
        if applies {
            operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_answer(description));
        }
    }
}

fn error_answer(description: &str) -> RefOr<Response> {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorResponse"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
