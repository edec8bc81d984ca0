//! The first start: an empty database gets the demo data set (`--demo`) or tenant `default`
//! with user `admin`, whose password comes from `HAVIP_ADMIN_PASSWORD` or is generated and
//! printed once.

use crate::demo;
use crate::service::Backend;
use app::domain::AppError;
use app::domain::caller::Role;

/// What the operator needs to know to sign in, when this start created the accounts.
pub enum FirstStart {
    Existing,
    Demo,
    Admin { password: String, generated: bool },
}

pub async fn prepare(
    backend: &Backend,
    demo_data: bool,
    admin_password: Option<String>,
) -> Result<FirstStart, AppError> {
    if backend.tenant_count().await? > 0 {
        return Ok(FirstStart::Existing);
    }
    if demo_data {
        demo::load(backend).await?;
        return Ok(FirstStart::Demo);
    }
    let (password, generated) = match admin_password.filter(|p| !p.is_empty()) {
        Some(password) => (password, false),
        None => (crate::service::accounts::generate_password(), true),
    };
    backend.create_user("default", "admin", &password, Role::Admin).await?;
    Ok(FirstStart::Admin { password, generated })
}
