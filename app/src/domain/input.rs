//! Requests that change HAVIPs, as they arrive (raw) and once checked (validated).
//!
//! The checks here are every rule that needs no database: R1, R2, R4 (shape), R8 (duplicates),
//! R9. The browser runs them while the user types; the server runs them again before the rest.

use super::binding::BindingSet;
use super::error::{AppError, ErrorCode};
use super::ids::{IdKind, is_well_formed};
use super::ipv4::Ipv4;
use super::limits::BindingLimits;
use super::name::HavipName;
use super::remark::Remark;
use serde::{Deserialize, Serialize};

/// `POST /havips` and the create wizard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateHavipRequest {
    pub name: String,
    #[serde(default)]
    pub remark: Option<String>,
    pub vpc_id: String,
    pub subnet_id: String,
    /// Left out, the lowest free address of the subnet is assigned.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub vm_ids: Option<Vec<String>>,
    /// Left out, the tenant's default project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// The VRRP virtual router ID (1–255) for a tenant that keeps one it runs already; left
    /// out, the lowest free one (R17).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 255))]
    pub vrid: Option<i64>,
}

/// A create request whose database-free rules hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHavip {
    pub name: HavipName,
    pub remark: Remark,
    pub vpc_id: String,
    pub subnet_id: String,
    pub ip: Option<Ipv4>,
    pub vms: BindingSet,
    pub project_id: Option<String>,
    pub vrid: Option<i64>,
}

impl CreateHavipRequest {
    /// Checks in the order of the form, so the first error is the topmost field's.
    pub fn validate(&self, limits: BindingLimits) -> Result<NewHavip, AppError> {
        let name = HavipName::parse(&self.name)?;
        let remark = Remark::parse(self.remark.as_deref().unwrap_or(""))?;
        if !is_well_formed(IdKind::Vpc, &self.vpc_id) {
            return Err(AppError::with_detail(ErrorCode::VpcNotFound, format!("no VPC {:?}", self.vpc_id)));
        }
        if !is_well_formed(IdKind::Subnet, &self.subnet_id) {
            return Err(AppError::with_detail(ErrorCode::SubnetNotFound, format!("no subnet {:?}", self.subnet_id)));
        }
        let ip = self.ip.as_deref().map(Ipv4::parse).transpose()?;
        let vms = BindingSet::parse(self.vm_ids.as_deref().unwrap_or(&[]), limits)?;
        if let Some(project) = &self.project_id
            && !is_well_formed(IdKind::Project, project)
        {
            return Err(AppError::with_detail(ErrorCode::ProjectNotFound, format!("no project {project:?}")));
        }
        let vrid = self.vrid.map(super::vrid::check).transpose()?;
        Ok(NewHavip {
            vrid,
            name,
            remark,
            vpc_id: self.vpc_id.clone(),
            subnet_id: self.subnet_id.clone(),
            ip,
            vms,
            project_id: self.project_id.clone(),
        })
    }
}

/// `PATCH /havips/{id}` and the edit dialog: each field left out stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateHavipRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
    /// Replaces the whole set of bound VMs (R12: only while `available`).
    #[serde(default)]
    pub vm_ids: Option<Vec<String>>,
    /// The version the client last saw; a stale one is refused (R14).
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HavipChanges {
    pub name: Option<HavipName>,
    pub remark: Option<Remark>,
    pub vms: Option<BindingSet>,
    pub version: Option<i64>,
}

impl UpdateHavipRequest {
    pub fn validate(&self, limits: BindingLimits) -> Result<HavipChanges, AppError> {
        Ok(HavipChanges {
            name: self.name.as_deref().map(HavipName::parse).transpose()?,
            remark: self.remark.as_deref().map(Remark::parse).transpose()?,
            vms: self.vm_ids.as_deref().map(|ids| BindingSet::parse(ids, limits)).transpose()?,
            version: self.version,
        })
    }
}

/// `POST /havips/{id}/vms`: attach one VM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachVmRequest {
    pub vm_id: String,
}

/// `POST /havips/batch-delete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchDeleteRequest {
    /// 1 to 500 (`MAX_BATCH_DELETE`) HAVIP IDs.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 500))]
    pub ids: Vec<String>,
}

/// How many HAVIPs one batch delete may name.
pub const MAX_BATCH_DELETE: usize = 500;

/// The outcome of one item of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItemResult {
    pub id: String,
    pub ok: bool,
    pub error: Option<AppError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateHavipRequest {
        CreateHavipRequest {
            name: "web".into(),
            vpc_id: "vpc-aaaaaaaa".into(),
            subnet_id: "subnet-aaaaaaaa".into(),
            ..Default::default()
        }
    }

    #[test]
    fn validates_in_form_order() {
        assert!(request().validate(BindingLimits::default()).is_ok());
        let bad = CreateHavipRequest { name: "".into(), ip: Some("x".into()), ..request() };
        assert_eq!(bad.validate(BindingLimits::default()).expect_err("name").code, ErrorCode::InvalidName);
        let bad = CreateHavipRequest { ip: Some("10.0.0.256".into()), ..request() };
        assert_eq!(bad.validate(BindingLimits::default()).expect_err("ip").code, ErrorCode::IpMalformed);
        let bad = CreateHavipRequest { vpc_id: "x".into(), ..request() };
        assert_eq!(bad.validate(BindingLimits::default()).expect_err("vpc").code, ErrorCode::VpcNotFound);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"name":"a","vpc_id":"vpc-aaaaaaaa","subnet_id":"subnet-aaaaaaaa","colour":"red"}"#;
        assert!(serde_json::from_str::<CreateHavipRequest>(json).is_err());
    }
}
