//! The create wizard (新建): fields, VPC → subnet → VM pickers, live checks with the domain
//! rules, server errors on their fields, and nothing lost when a request fails.

use super::vm_picker::{VmPicker, VpcVms, chosen_vms_problem};
use super::{Dialog as DialogState, PageState};
use crate::api::havips::{create_havip, load_inventory};
use crate::domain::input::CreateHavipRequest;
use crate::domain::inventory::Inventory;
use crate::domain::ipv4::Ipv4;
use crate::domain::name::{NAME_MAX_CHARS, name_problem as problem_of_name};
use crate::domain::remark::{REMARK_MAX_CHARS, Remark};
use crate::domain::{AppError, ErrorCode, Field};
use crate::i18n::fill;
use crate::ui::I18n;
use crate::ui::session_end::{follow_session_end, to_login_if_session_ended};
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::form::{
    DialogButtons, Problem, TextField, Touched, field_error, focus_first_invalid, submitted_form,
};
use crate::ui::widgets::toast::{ToastKind, Toasts};
use leptos::prelude::*;

#[component]
pub fn CreateDialog() -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let close = Callback::new(move |_| state.dialog.set(DialogState::Closed));
    // Fetched when the dialog opens, so the VMs' HAVIP counts are current.
    let inventory = Resource::new(|| (), |_| load_inventory());
    follow_session_end(move || inventory.get().and_then(Result::err));
    view! {
        <Dialog title=Signal::derive(move || i18n.texts().create_title.to_owned()) on_close=close wide=true>
            <Suspense fallback=move || view! { <p class="dialog-body">{i18n.t(|t| t.loading)}</p> }>
                {move || Suspend::new(async move {
                    match inventory.await {
                        Ok(inventory) if !inventory.subnets.is_empty() => view! { <CreateForm inventory on_close=close /> }.into_any(),
                        Ok(_) => view! {
                            <div class="dialog-body">
                                <p class="notice" role="alert">{i18n.t(|t| t.need_network)}</p>
                            </div>
                            <div class="dialog-footer">
                                <button type="button" class="btn" on:click=move |_| close.run(())>{i18n.t(|t| t.close)}</button>
                            </div>
                        }
                        .into_any(),
                        Err(error) => view! {
                            <p class="dialog-body form-error" role="alert">{move || i18n.lang.get().error(error.code)}</p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </Dialog>
    }
}

#[component]
fn CreateForm(inventory: Inventory, on_close: Callback<()>) -> impl IntoView {
    let i18n = I18n::get();
    let state = PageState::get();
    let limits = inventory.limits;
    let first_vpc = inventory
        .vpcs
        .iter()
        .find(|v| inventory.subnets.iter().any(|s| s.vpc_id == v.id))
        .map(|v| v.id.clone())
        .unwrap_or_default();
    let first_subnet_of = {
        let subnets = inventory.subnets.clone();
        move |vpc: &str| subnets.iter().find(|s| s.vpc_id == vpc).map(|s| s.id.clone()).unwrap_or_default()
    };
    let name = RwSignal::new(String::new());
    let remark = RwSignal::new(String::new());
    let vpc_id = RwSignal::new(first_vpc.clone());
    let subnet_id = RwSignal::new(first_subnet_of(&first_vpc));
    let ip = RwSignal::new(String::new());
    let vm_ids = RwSignal::new(Vec::<String>::new());
    // None until the user picks a project: the HAVIP then goes to its VPC's project, which the
    // list shows selected, so the dialog always says where the HAVIP will be.
    let chosen_project = RwSignal::new(None::<String>);
    let submitted = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let inventory = StoredValue::new(inventory);
    let project_id = move || {
        chosen_project.get().unwrap_or_else(|| {
            inventory
                .with_value(|inv| inv.vpcs.iter().find(|v| v.id == vpc_id.get()).map(|v| v.project_id.clone()))
                .unwrap_or_default()
        })
    };

    let touched_name = Touched::new(submitted);
    let touched_remark = Touched::new(submitted);
    let touched_ip = Touched::new(submitted);
    let touched_vms = Touched::new(submitted);
    let edited = move |touched: Touched| {
        Callback::new(move |_| {
            touched.mark();
            server_error.set(None);
        })
    };

    let subnet = move || inventory.with_value(|inv| inv.subnets.iter().find(|s| s.id == subnet_id.get()).cloned());
    let vpc_vms = VpcVms::load(vpc_id.into());
    let name_problem = move || problem_of_name(&name.get()).map(Problem::Name);
    let remark_problem = move || Remark::parse(&remark.get()).err().map(Problem::from);
    let vpc_problem = move || vpc_id.get().is_empty().then_some(Problem::Required);
    let subnet_problem = move || subnet_id.get().is_empty().then_some(Problem::Required);
    let ip_problem = move || {
        let text = ip.get();
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let checked = Ipv4::parse(text).and_then(|address| match subnet().and_then(|s| s.range()) {
            Some(range) => range.check_address(address),
            None => Ok(address),
        });
        match checked {
            Err(error) if error.code == ErrorCode::IpReserved => {
                let address = Ipv4::parse(text).ok()?;
                let reserved = subnet().and_then(|s| s.range()).and_then(|range| range.reserved(address));
                Some(reserved.map_or(Problem::Rule(error), |reserved| Problem::Reserved(reserved, address)))
            }
            Err(error) => Some(Problem::Rule(error)),
            // R6 as far as the browser can see it: the subnet's VMs.
            Ok(address) => vpc_vms
                .known()
                .iter()
                .any(|vm| vm.subnet_id == subnet_id.get() && vm.ip == address.to_string())
                .then(|| Problem::Rule(AppError::new(ErrorCode::IpAlreadyUsed))),
        }
    };
    let vms_problem = move || vm_ids.with(|chosen| chosen_vms_problem(&vpc_vms.known(), chosen, &[], limits));

    let name_error = field_error(name_problem, server_error, Field::Name, touched_name.visible());
    let remark_error = field_error(remark_problem, server_error, Field::Remark, touched_remark.visible());
    let vpc_error = field_error(vpc_problem, server_error, Field::VpcId, move || submitted.get());
    let subnet_error = field_error(subnet_problem, server_error, Field::SubnetId, move || submitted.get());
    let ip_error = field_error(ip_problem, server_error, Field::Ip, touched_ip.visible());
    let vms_error = field_error(vms_problem, server_error, Field::VmIds, touched_vms.visible());
    let project_error = field_error(|| None, server_error, Field::ProjectId, || false);

    let ip_hint = Signal::derive(move || match subnet().and_then(|s| s.range()) {
        Some(range) => {
            let (first, last) = range.usable_range();
            let template = if range.gateway_inside() { i18n.texts().ip_hint } else { i18n.texts().ip_hint_plain };
            fill(
                template,
                &[("first", &first.to_string()), ("last", &last.to_string()), ("gateway", &range.gateway.to_string())],
            )
        }
        None => i18n.texts().ip_hint_no_subnet.to_owned(),
    });

    let sent = StoredValue::new(None::<(CreateHavipRequest, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let has_problem = name_problem().is_some()
            || remark_problem().is_some()
            || vpc_problem().is_some()
            || subnet_problem().is_some()
            || ip_problem().is_some()
            || vms_problem().is_some();
        let form = submitted_form(&ev);
        if has_problem || pending.get_untracked() {
            focus_first_invalid(form.filter(|_| has_problem));
            return;
        }
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|t| !t.is_empty());
        let request = CreateHavipRequest {
            name: name.get_untracked(),
            remark: Some(remark.get_untracked()).filter(|r| !r.is_empty()),
            vpc_id: vpc_id.get_untracked(),
            subnet_id: subnet_id.get_untracked(),
            ip: text(ip),
            vm_ids: Some(vm_ids.get_untracked()),
            project_id: Some(untrack(project_id)).filter(|p| !p.is_empty()),
            vrid: None,
        };
        // Confirming the same request again (its answer was lost) reuses its key, so the server
        // answers the first create instead of making a second HAVIP; a changed request is a new
        // create under a new key.
        let key = sent
            .with_value(|sent| sent.as_ref().filter(|(before, _)| *before == request).map(|(_, key)| key.clone()))
            .or_else(new_idempotency_key);
        sent.set_value(key.clone().map(|key| (request.clone(), key)));
        pending.set(true);
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match create_havip(request, key).await {
                Ok(havip) => {
                    Toasts::get().show(ToastKind::Success, fill(i18n.texts().created_toast, &[("name", &havip.name)]));
                    state.dialog.set(DialogState::Closed);
                    state.show_newest();
                }
                // The sign-in comes over the dialog; afterwards the same request can go again.
                Err(error) if to_login_if_session_ended(&error) => pending.set(false),
                Err(error) => {
                    if error.field.is_none() {
                        Toasts::get().show(ToastKind::Error, i18n.lang.get_untracked().error(error.code));
                    }
                    if error.code == ErrorCode::HavipsPerVmExceeded {
                        // A VM filled up meanwhile: count again, and the picker names it.
                        vpc_vms.refresh();
                    }
                    server_error.set(Some(error));
                    pending.set(false);
                    focus_first_invalid(form);
                }
            }
        });
    };

    let first_subnet_of = StoredValue::new(first_subnet_of);
    view! {
        <form class="dialog-form" on:submit=submit novalidate>
            <div class="dialog-body">
                <TextField autofocus=true id="havip-name" label=i18n.t(|t| t.field_name) value=name error=name_error required=true counter=NAME_MAX_CHARS
                    hint=Signal::derive(move || i18n.texts().name_hint.to_owned()) on_edit=edited(touched_name) />
                // One line: a remark may hold no control characters (R2), so Enter cannot add a line break.
                <TextField id="havip-remark" label=i18n.t(|t| t.field_remark) value=remark error=remark_error counter=REMARK_MAX_CHARS
                    on_edit=edited(touched_remark) />
                <div class="field-row">
                    <div class="field" class:has-error=move || vpc_error.get().is_some()>
                        <label class="field-label" for="havip-vpc">{i18n.t(|t| t.field_vpc)}<span class="required" aria-hidden="true">"*"</span></label>
                        <select id="havip-vpc" class="select" aria-required="true"
                            on:change=move |ev| {
                                let vpc = event_target_value(&ev);
                                subnet_id.set(first_subnet_of.with_value(|f| f(&vpc)));
                                vpc_id.set(vpc);
                                vm_ids.set(Vec::new());
                                ip.set(String::new());
                                server_error.set(None);
                            }>
                            {inventory.with_value(|inv| inv.vpcs.iter().map(|vpc| {
                                let selected = vpc.id == vpc_id.get_untracked();
                                view! { <option value=vpc.id.clone() selected=selected>{format!("{} ({})", vpc.name, vpc.cidr)}</option> }
                            }).collect_view())}
                        </select>
                        <p class="field-error" role="alert">{move || vpc_error.get()}</p>
                    </div>
                    <div class="field" class:has-error=move || subnet_error.get().is_some()>
                        <label class="field-label" for="havip-subnet">{i18n.t(|t| t.field_subnet)}<span class="required" aria-hidden="true">"*"</span></label>
                        <select id="havip-subnet" class="select" aria-required="true"
                            on:change=move |ev| {
                                subnet_id.set(event_target_value(&ev));
                                server_error.set(None);
                            }>
                            {move || {
                                let vpc = vpc_id.get();
                                inventory.with_value(|inv| inv.subnets.iter().filter(|s| s.vpc_id == vpc).map(|s| {
                                    let selected = s.id == subnet_id.get_untracked();
                                    view! { <option value=s.id.clone() selected=selected>{format!("{} ({})", s.name, s.cidr)}</option> }
                                }).collect_view())
                            }}
                        </select>
                        <p class="field-error" role="alert">{move || subnet_error.get()}</p>
                    </div>
                </div>
                <TextField id="havip-ip" label=i18n.t(|t| t.field_ip) value=ip error=ip_error hint=ip_hint monospace=true maxlength=15
                    on_edit=edited(touched_ip) />
                {move || {
                    let subnets = inventory.with_value(|inv| inv.subnets.clone());
                    let _ = vpc_id.get();
                    view! { <VmPicker vms=vpc_vms subnets havip_subnet=subnet_id selected=vm_ids limits error=vms_error on_edit=edited(touched_vms) /> }
                }}
                <div class="field" class:has-error=move || project_error.get().is_some()>
                    <label class="field-label" for="havip-project">{i18n.t(|t| t.field_project)}</label>
                    <select id="havip-project" class="select" on:change=move |ev| chosen_project.set(Some(event_target_value(&ev)))>
                        {inventory.with_value(|inv| inv.projects.iter().map(|p| {
                            let label = if p.is_default { format!("{}{}", p.name, i18n.texts().default_project) } else { p.name.clone() };
                            let id = p.id.clone();
                            view! { <option value=p.id.clone() selected=move || project_id() == id>{label}</option> }
                        }).collect_view())}
                    </select>
                    <p class="field-error" role="alert">{move || project_error.get()}</p>
                </div>
            </div>
            <DialogButtons confirm=i18n.t(|t| t.confirm_create) pending on_cancel=on_close />
        </form>
    }
}

/// A key no other create uses (R15): 128 random bits from the browser, which has them over
/// plain HTTP too (unlike `crypto.randomUUID`). None where it has not: the create is then sent
/// without one, as before.
fn new_idempotency_key() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 16];
        let crypto = web_sys::window()?.crypto().ok()?;
        crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}
