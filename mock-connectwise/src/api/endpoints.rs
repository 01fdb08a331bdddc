//! What each `apis/3.0` endpoint does, once the request is authenticated and permitted.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::CURRENT_VERSION;
pub(crate) use super::call::{Call, Reply};
use super::error::ApiError;
use super::routes::Endpoint;
use crate::resources::Res;
use crate::schema::schema;
use crate::store::records::{Access, WriteCtx, count_table, get_row, list_table, select_page, to_bytes};
use crate::store::{Listed, StoreError, patch};
use crate::validate::{Mode, validate};
use cw_model::{Action, Function};

/// Runs a permitted call: one function per family of endpoints.
pub(crate) fn serve(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    match endpoint {
        E::List(_) | E::Count(_) | E::Get(_) => collection_read(call, endpoint),
        E::Create(_) | E::Replace(_) | E::Patch(_) | E::Delete(_) => collection_write(call, endpoint),
        E::ReplaceAll(_) | E::PatchAll(_) | E::DeleteAll(_) => super::whole::serve(call, endpoint),
        E::MemberByIdentifier | E::MemberDeactivate | E::MemberTokens | E::ApiMemberDefault => members(call, endpoint),
        E::RoleInfoList | E::RoleInfoCount | E::RoleSettings | E::RoleSettingsCount | E::MySecurity | E::Reports => {
            virtual_list(call, endpoint)
        }
        E::RoleInfo | E::RoleSetting => virtual_row(call, endpoint),
        E::SystemInfo => Ok(system_info()),
        E::ReportData | E::ReportColumns | E::ReportCount => report(call, endpoint, call.access()),
        E::View(i) => super::views::serve(call, usize::from(i)),
        E::Action(i) => super::actions::serve(call, usize::from(i)),
    }
}

/// An endpoint handed to the wrong family's function: the dispatch in [`serve`] disagrees
/// with itself (an opaque 500; the detail goes to the log).
fn not_of_family(endpoint: Endpoint) -> ApiError {
    ApiError::internal(&format!("{endpoint:?} was dispatched to the wrong endpoint family"))
}

/// A stored collection, read: list, count, get.
fn collection_read(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    let store = &call.app.store;
    let company = call.company();
    let base = call.base();
    let access = call.access();
    match endpoint {
        E::List(res) => {
            let parent = call.parent(res)?;
            let q = call.list_query(res.schema(), res.info().noun)?;
            let listed =
                store.list(company, res, parent, &q, access, &base).map_err(|e| call.fail(e, res.info().noun, None))?;
            Ok(call.list_reply(listed, &q.paging))
        }
        E::Count(res) => {
            let parent = call.parent(res)?;
            let q = call.list_query(res.schema(), res.info().noun)?;
            let (n, others) =
                store.count(company, res, parent, &q, access).map_err(|e| call.fail(e, res.info().noun, None))?;
            Ok(Reply::ok(to_bytes(&json!({ "count": n })), others))
        }
        E::Get(res) => {
            let (parent, id) = call.ids(res)?;
            let fields = call.fields(res.schema(), res.info().noun)?;
            let needs = Some((res.info().function, Action::Inquire));
            let one = store
                .read_tenant(company, |t| t.get(res, parent, id, fields.as_ref(), access, &base))
                .map_err(|e| call.fail(e, res.info().noun, needs))?;
            Ok(Reply::ok(one.body, one.others))
        }
        _ => Err(not_of_family(endpoint)),
    }
}

/// A stored collection, written: create, replace, patch, delete.
fn collection_write(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    let store = &call.app.store;
    let company = call.company();
    let base = call.base();
    let access = call.access();
    match endpoint {
        E::Create(res) => {
            let parent = call.parent(res)?;
            let body = call.body();
            let one = store
                .write_tenant(company, |t, keys, now| {
                    t.create(res, parent, body, &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, res.info().noun, None))?;
            Ok(Reply { status: StatusCode::CREATED, body: one.body, link: None, media: None, others: false })
        }
        E::Replace(res) => {
            let (parent, id) = call.ids(res)?;
            let body = call.body();
            let needs = Some((res.info().function, Action::Edit));
            let one = store
                .write_tenant(company, |t, keys, now| {
                    t.update(res, parent, id, body, Mode::Replace, &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, res.info().noun, needs))?;
            Ok(Reply::ok(one.body, one.others))
        }
        E::Patch(res) => {
            let (parent, id) = call.ids(res)?;
            let noun = res.info().noun;
            let ops = patch::parse(&call.body()).map_err(|m| ApiError::bad_request(noun, "body", m))?;
            let needs = Some((res.info().function, Action::Edit));
            let one = store
                .write_tenant(company, |t, keys, now| {
                    let mut current = t.current(res, parent, id)?;
                    patch::apply(res.schema(), &mut current, &ops).map_err(StoreError::BadRequest)?;
                    t.update(
                        res,
                        parent,
                        id,
                        Value::Object(current),
                        Mode::Create,
                        &WriteCtx { access, now, keys, base: &base },
                    )
                })
                .map_err(|e| call.fail(e, noun, needs))?;
            Ok(Reply::ok(one.body, one.others))
        }
        E::Delete(res) => {
            let (parent, id) = call.ids(res)?;
            let needs = Some((res.info().function, Action::Delete));
            let others = store
                .write_tenant(company, |t, _, _| t.delete(res, parent, id, access))
                .map_err(|e| call.fail(e, res.info().noun, needs))?;
            Ok(Reply::no_content(others))
        }
        _ => Err(not_of_family(endpoint)),
    }
}

/// Members by identifier, deactivation, impersonation tokens, the API member template.
fn members(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    let store = &call.app.store;
    let company = call.company();
    let base = call.base();
    let access = call.access();
    match endpoint {
        E::MemberByIdentifier => {
            let ident = call.text(0)?;
            let fields = call.fields(Res::Members.schema(), "member")?;
            let needs = Some((Function::MemberMaintenance, Action::Inquire));
            let one = store
                .read_tenant(company, |t| {
                    let id = t
                        .table(Res::Members)
                        .find_unique(ident)
                        .ok_or_else(|| StoreError::NotFound(format!("Member {ident}")))?;
                    t.get(Res::Members, None, id, fields.as_ref(), access, &base)
                })
                .map_err(|e| call.fail(e, "member", needs))?;
            Ok(Reply::ok(one.body, one.others))
        }
        E::MemberDeactivate => {
            let id = call.int(0)?;
            let body = call.body();
            let errors = validate(schema("MemberDeactivation"), &body, Mode::Create);
            if !errors.is_empty() {
                return Err(ApiError::invalid("memberDeactivation", &errors));
            }
            let needs = Some((Function::MemberMaintenance, Action::Delete));
            let others = store
                .write_tenant(company, |t, keys, now| {
                    t.deactivate_member(id, &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, "member", needs))?;
            Ok(Reply::ok(to_bytes(&body), others))
        }
        E::MemberTokens => {
            let ident = call.text(0)?.to_owned();
            let token = store
                .write_tenant(company, |t, keys, now| t.issue_token(&ident, now, keys))
                .map_err(|e| call.fail(e, "member", None))?;
            Ok(Reply::value(&serde_json::to_value(token).unwrap_or_default()))
        }
        E::ApiMemberDefault => Ok(Reply::value(&json!({
            "id": 0, "identifier": "", "name": "", "inactiveFlag": false,
            "blockPriceFlag": false, "blockCostFlag": false, "excludedServiceBoardIds": []
        }))),
        _ => Err(not_of_family(endpoint)),
    }
}

/// The virtual tables: security-role info and settings, `mySecurity`, the report list.
fn virtual_list(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    let store = &call.app.store;
    let company = call.company();
    let base = call.base();
    let access = call.access();
    match endpoint {
        E::RoleInfoList | E::RoleInfoCount | E::RoleSettings | E::RoleSettingsCount | E::MySecurity | E::Reports => {
            let (schema_name, noun) = match endpoint {
                E::RoleInfoList | E::RoleInfoCount => ("SecurityRoleInfo", "securityRoleInfo"),
                E::RoleSettings | E::RoleSettingsCount => ("SecurityRoleSetting", "securityRoleSetting"),
                E::MySecurity => ("MySecurity", "mySecurity"),
                _ => ("Report", "report"),
            };
            let role = match endpoint {
                E::RoleSettings | E::RoleSettingsCount => Some(call.int(0)?),
                _ => None,
            };
            let q = call.list_query(schema(schema_name), noun)?;
            let counting = matches!(endpoint, E::RoleInfoCount | E::RoleSettingsCount);
            let out = store
                .read_tenant(company, |t| {
                    let owned;
                    let table = match endpoint {
                        E::RoleInfoList | E::RoleInfoCount => {
                            owned = t.role_info_table();
                            &owned
                        }
                        E::RoleSettings | E::RoleSettingsCount => {
                            owned =
                                t.settings_table(role.ok_or_else(|| StoreError::NotFound("SecurityRole".into()))?)?;
                            &owned
                        }
                        E::MySecurity => {
                            owned = t.my_security_table(call.caller);
                            &owned
                        }
                        _ => &t.reports.list,
                    };
                    let access = if endpoint == E::MySecurity { Access::system() } else { access };
                    Ok(if counting {
                        let (n, others) = count_table(table, None, &q, access, &t.names);
                        Listed { body: to_bytes(&json!({ "count": n })), total: n, last_id: None, others }
                    } else {
                        list_table(table, None, None, &q, access, &t.names, &base)
                    })
                })
                .map_err(|e| call.fail(e, noun, None))?;
            if counting { Ok(Reply::ok(out.body, out.others)) } else { Ok(call.list_reply(out, &q.paging)) }
        }
        _ => Err(not_of_family(endpoint)),
    }
}

/// One row of a virtual table: a role's info, one of its settings.
fn virtual_row(call: &Call<'_>, endpoint: Endpoint) -> Result<Reply, ApiError> {
    use Endpoint as E;
    let store = &call.app.store;
    let company = call.company();
    let base = call.base();
    match endpoint {
        E::RoleInfo | E::RoleSetting => {
            let (noun, schema_name) = if endpoint == E::RoleInfo {
                ("securityRoleInfo", "SecurityRoleInfo")
            } else {
                ("securityRoleSetting", "SecurityRoleSetting")
            };
            let fields = call.fields(schema(schema_name), noun)?;
            let (first, second) = (call.int(0)?, if endpoint == E::RoleInfo { 0 } else { call.int(1)? });
            let body = store
                .read_tenant(company, |t| {
                    let (table, id, what) = if endpoint == E::RoleInfo {
                        (t.role_info_table(), first, "SecurityRole")
                    } else {
                        (t.settings_table(first)?, second, "SecurityRoleSetting")
                    };
                    get_row(&table, id, fields.as_ref(), &t.names, &base)
                        .ok_or_else(|| StoreError::NotFound(format!("{what} {id}")))
                })
                .map_err(|e| call.fail(e, noun, None))?;
            Ok(Reply::ok(body, true))
        }
        _ => Err(not_of_family(endpoint)),
    }
}

/// `/system/info`.
fn system_info() -> Reply {
    Reply::value(&json!({
        "version": format!("v{CURRENT_VERSION}.0.1"),
        "isCloud": false,
        "serverTimeZone": "Eastern Standard Time",
        "licenseBits": [
            {"name": "Agreements", "activeFlag": true},
            {"name": "Procurement", "activeFlag": true},
            {"name": "ServiceDesk", "activeFlag": true}
        ],
        "cloudRegion": "NA",
        "maxWorkFlowRecordsAllowed": 100
    }))
}

fn report(call: &Call<'_>, endpoint: Endpoint, access: Access<'_>) -> Result<Reply, ApiError> {
    let name = call.text(0)?;
    let raw = call.raw_query();
    let columns_param = call.pairs().iter().find(|(k, _)| k.eq_ignore_ascii_case("columns")).map(|(_, v)| v.as_str());
    let (body, listed_paging) = call
        .app
        .store
        .read_tenant(call.company(), |t| {
            let report = t.reports.get(name).ok_or_else(|| StoreError::NotFound(format!("Report {name}")))?;
            let rows = &report.rows;
            let q = raw.bind(rows.schema)?;
            match endpoint {
                Endpoint::ReportColumns => {
                    let cols: Vec<Value> = report.columns.iter().map(|c| json!({ (c.name.clone()): c.def })).collect();
                    Ok((to_bytes(&cols), None))
                }
                Endpoint::ReportCount => {
                    Ok((to_bytes(&json!({ "count": count_table(rows, None, &q, access, &t.names).0 })), None))
                }
                _ => {
                    let wanted: Vec<usize> = match columns_param.map(str::trim).filter(|c| !c.is_empty()) {
                        None => (0..report.columns.len()).collect(),
                        Some(list) => list
                            .split(',')
                            .map(str::trim)
                            .map(|c| {
                                report.columns.iter().position(|rc| rc.name.eq_ignore_ascii_case(c)).ok_or_else(|| {
                                    StoreError::BadRequest(format!("columns: report {name} has no column {c}"))
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    };
                    let (page, total, _) = select_page(rows, None, &q, access, &t.names);
                    let defs: Vec<Value> = wanted
                        .iter()
                        .map(|&i| json!({ (report.columns[i].name.clone()): report.columns[i].def }))
                        .collect();
                    let values: Vec<Vec<Value>> = page
                        .iter()
                        .map(|r| {
                            let doc = r.doc.view(rows.schema);
                            wanted
                                .iter()
                                .map(|&i| {
                                    doc.get(u16::try_from(i).unwrap_or(u16::MAX)).map_or(Value::Null, |v| v.to_json())
                                })
                                .collect()
                        })
                        .collect();
                    let last_id = page.last().map(|r| r.id);
                    Ok((
                        to_bytes(&json!({ "column_definitions": defs, "row_values": values })),
                        Some((q.paging, total, last_id)),
                    ))
                }
            }
        })
        .map_err(|e| call.fail(e, "report", None))?;
    let link = listed_paging.and_then(|(paging, total, last_id)| call.links(&paging, total, last_id));
    Ok(Reply { status: StatusCode::OK, body, link, media: None, others: true })
}
