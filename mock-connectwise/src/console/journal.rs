//! `GET /__mock/permission-journal/{member}/profile`: the permission journal of one member as
//! an integration profile file (`application/toml`), the least privilege its recorded calls
//! needed. Record a workload in soft mode, export, then `provisioner apply --profile FILE`.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::error::ApiError;
use crate::state::AppState;
use crate::store::journal::Unjournaled;

/// The profile file's media type.
const TOML: &str = "application/toml; charset=utf-8";

#[derive(Deserialize)]
pub(super) struct Which {
    /// The company the calls were made in; needed only when the member is journaled in several.
    company: Option<String>,
}

pub(super) async fn derived_profile(
    State(app): State<AppState>,
    Path(member): Path<String>,
    Query(which): Query<Which>,
) -> Result<Response, ApiError> {
    let derived = app.store.derived_profile(which.company.as_deref(), &member).map_err(|e| match e {
        Unjournaled::NotFound => ApiError::not_found(format!(
            "The permission journal holds no call of member '{member}'{}; GET /__mock/permission-journal lists who it holds.",
            which.company.as_deref().map(|c| format!(" in company '{c}'")).unwrap_or_default()
        )),
        Unjournaled::Ambiguous(companies) => ApiError::bad_request(
            "permissionJournal",
            "company",
            format!(
                "Member '{member}' is journaled in companies {}; name one with ?company=.",
                companies.join(", ")
            ),
        ),
    })?;
    let file = format!("attachment; filename=\"{}\"", derived.profile.id);
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, TOML.to_owned()), (header::CONTENT_DISPOSITION, file)],
        derived.to_toml(),
    )
        .into_response())
}
