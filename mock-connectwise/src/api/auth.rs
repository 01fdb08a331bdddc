//! Authentication and authorization of one API request: the `clientId` and `Authorization`
//! headers, and the security-role level the route needs.

use std::sync::{Arc, PoisonError};

use axum::http::HeaderMap;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::state::{Authenticated, Callers};
use crate::store::records::Access;
use crate::store::{Caller, Via};
use cw_model::{Action, Function, Grant, PermissionLevel};

/// `company+publicKey:privateKey` from a Basic `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) company: String,
    pub(crate) public: String,
    pub(crate) private: String,
    /// `x-cw-usertype: integrator`: the pair is an integrator login's username and password.
    pub(crate) integrator: bool,
}

const SHAPE: &str = "Send Authorization: Basic base64(companyId+publicKey:privateKey).";

/// Reads the credentials; every malformation is a 401 that says how to fix it.
pub(crate) fn credentials(headers: &HeaderMap) -> Result<Credentials, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(format!("The Authorization header is missing. {SHAPE}")));
    };
    let value =
        value.to_str().map_err(|_| ApiError::unauthorized(format!("The Authorization header is not text. {SHAPE}")))?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(ApiError::unauthorized(format!("The Authorization header has no scheme. {SHAPE}")));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::unauthorized(format!("Authorization scheme {scheme} is not supported. {SHAPE}")));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::unauthorized(format!("The Basic credentials are not valid base64. {SHAPE}")))?;
    let Some((user, private)) = decoded.split_once(':') else {
        return Err(ApiError::unauthorized(format!("The Basic credentials have no ':'. {SHAPE}")));
    };
    let Some((company, public)) = user.split_once('+') else {
        return Err(ApiError::unauthorized(format!(
            "The Basic user name has no '+' between the company id and the public key. {SHAPE}"
        )));
    };
    let integrator = headers
        .get("x-cw-usertype")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("integrator"));
    Ok(Credentials { company: company.to_owned(), public: public.to_owned(), private: private.to_owned(), integrator })
}

/// The `clientId` header every call must carry (ConnectWise requires a registered GUID; the
/// mock accepts any non-empty value).
pub(crate) fn client_id(headers: &HeaderMap) -> Result<&str, ApiError> {
    match headers.get("clientid").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id),
        _ => {
            let mut e = ApiError::bad_request(
                "request",
                "clientId",
                "The clientId header is required on every call. Register a client id at developer.connectwise.com and send it as clientId: <id>.",
            );
            if let Some(items) = &mut e.errors {
                items.iter_mut().for_each(|i| i.code = "MissingRequiredField");
            }
            Err(e)
        }
    }
}

/// How many callers [`Callers`] remembers before it starts afresh.
const REMEMBERED_CALLERS: usize = 1024;

/// The caller of these headers, from `callers` or by `authenticate` (given the credentials;
/// `generation` is the store's, read before). What is remembered and for how long is
/// [`Callers`]' contract: by a SHA-256 digest of the `Authorization` header (never the
/// secret), callers by API key only, while the store's generation has not moved.
pub(crate) fn remembered(
    callers: &Callers,
    headers: &HeaderMap,
    generation: u64,
    authenticate: impl FnOnce(Credentials) -> Result<Caller, ApiError>,
) -> Result<Arc<Authenticated>, ApiError> {
    let digest = headers.get(axum::http::header::AUTHORIZATION).map(|v| {
        let integrator = headers.get("x-cw-usertype").map_or(&b""[..], |v| v.as_bytes());
        let mut h = Sha256::new();
        h.update(v.as_bytes());
        h.update([0]);
        h.update(integrator);
        crate::state::HeaderDigest::from(h.finalize())
    });
    if let Some(d) = &digest {
        let known = callers.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((g, found)) = known.get(d) {
            if *g == generation {
                return Ok(found.clone());
            }
        }
    }
    let creds = credentials(headers)?;
    let public = creds.public.clone();
    let caller = authenticate(creds)?;
    let remember = caller.via == Via::ApiKey;
    let (company, identifier) = (caller.company.as_str().into(), caller.identifier.as_str().into());
    let found = Arc::new(Authenticated { caller, public, company, identifier });
    if let (Some(d), true) = (digest, remember) {
        let mut known = callers.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= REMEMBERED_CALLERS {
            known.clear();
        }
        known.insert(d, (generation, found.clone()));
    }
    Ok(found)
}

/// How a caller's level applies to one call.
#[derive(Debug)]
pub(crate) struct Permit {
    pub(crate) granted: PermissionLevel,
    /// `My`: the call may only see or touch the caller's own records (owned, assigned or entered).
    pub(crate) own_only: bool,
    /// The level falls short and the mock is in soft mode: allowed, but recorded as refused.
    pub(crate) would_refuse: bool,
}

/// Checks the caller's level for `(function, action)`; in soft mode nothing is refused.
pub(crate) fn permit(caller: &Caller, needs: Option<(Function, Action)>, soft: bool) -> Result<Permit, ApiError> {
    let Some((function, action)) = needs else {
        return Ok(Permit { granted: PermissionLevel::All, own_only: false, would_refuse: false });
    };
    let granted = caller.levels.get(function, action);
    // The one rule (`PermissionLevel::grant`): `My` narrows every action to own records.
    match granted.grant(action) {
        Grant::Every => return Ok(Permit { granted, own_only: false, would_refuse: false }),
        Grant::OwnOnly => return Ok(Permit { granted, own_only: !soft, would_refuse: false }),
        Grant::Nothing => {}
    }
    if soft {
        return Ok(Permit { granted, own_only: false, would_refuse: true });
    }
    Err(refusal(caller, function, action, granted, None))
}

/// The 403 naming the module, function and level that is missing.
pub(crate) fn refusal(
    caller: &Caller,
    function: Function,
    action: Action,
    granted: PermissionLevel,
    why: Option<&str>,
) -> ApiError {
    let role = caller.role.as_ref().map_or_else(
        || "the caller has no security role".to_owned(),
        |(_, name)| format!("security role '{name}' grants {granted}"),
    );
    let why = why.map(|w| format!("; {w}")).unwrap_or_default();
    ApiError::forbidden(format!("{function}: {action} Level = All required ({role}{why})"))
}

impl Permit {
    pub(crate) fn access<'a>(&self, caller: &'a Caller) -> Access<'a> {
        Access { caller: &caller.identifier, own_only: self.own_only, track_others: true }
    }
}

/// Integrator logins may only ask for member tokens, and only with the member API flag.
pub(crate) fn integrator_may(caller: &Caller, is_token_route: bool) -> Result<(), ApiError> {
    match caller.via {
        Via::Integrator { can_impersonate } if !is_token_route || !can_impersonate => {
            Err(ApiError::forbidden(if is_token_route {
                format!(
                    "Integrator login {} needs memberApiFlag (or canAccessAllApisFlag) to request member tokens.",
                    caller.identifier
                )
            } else {
                format!(
                    "Integrator login {} can only request member tokens (POST /system/members/{{identifier}}/tokens); call the API with the member token it returns.",
                    caller.identifier
                )
            }))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_str(value).unwrap());
        h
    }

    fn basic(s: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
    }

    #[test]
    fn basic_credentials_split_into_company_public_and_private() {
        let c = credentials(&with_auth(&basic("cwmock+Pub:Priv:with:colons"))).unwrap();
        assert_eq!(
            c,
            Credentials {
                company: "cwmock".into(),
                public: "Pub".into(),
                private: "Priv:with:colons".into(),
                integrator: false
            }
        );
    }

    #[test]
    fn malformed_authorization_is_explained() {
        for (value, needle) in [
            ("Bearer abc", "not supported"),
            ("Basic !!!", "not valid base64"),
            (&basic("nocolon") as &str, "no ':'"),
            (&basic("company:secret"), "no '+'"),
        ] {
            let e = credentials(&with_auth(value)).unwrap_err();
            assert_eq!(e.status, 401);
            assert!(e.message.contains(needle), "{value}: {}", e.message);
        }
        assert!(credentials(&HeaderMap::new()).unwrap_err().message.contains("missing"));
    }

    fn caller(via: Via) -> Caller {
        Caller {
            company: "cwmock".into(),
            member_id: 7,
            identifier: "jdoe".into(),
            role: None,
            levels: cw_model::RoleLevels::none(),
            via,
        }
    }

    #[test]
    fn a_remembered_caller_is_served_only_while_the_store_is_unchanged() {
        let callers = Callers::default();
        let headers = with_auth(&basic("cwmock+Pub:Priv"));
        let runs = std::cell::Cell::new(0);
        let check = |creds: Credentials| {
            runs.set(runs.get() + 1);
            assert_eq!((creds.public.as_str(), creds.private.as_str()), ("Pub", "Priv"));
            Ok(caller(Via::ApiKey))
        };
        let first = remembered(&callers, &headers, 1, check).unwrap();
        let again = remembered(&callers, &headers, 1, check).unwrap();
        assert_eq!(runs.get(), 1, "the second call is answered from memory");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(again.public, "Pub");
        remembered(&callers, &headers, 2, check).unwrap();
        assert_eq!(runs.get(), 2, "a write to the store makes the caller authenticate afresh");
        remembered(&callers, &with_auth(&basic("cwmock+Pub:Wrong")), 2, |_| Err(ApiError::unauthorized("no")))
            .unwrap_err();
        let mut integrator = headers.clone();
        integrator.insert("x-cw-usertype", axum::http::HeaderValue::from_static("integrator"));
        remembered(&callers, &integrator, 2, |_| Ok(caller(Via::Integrator { can_impersonate: true }))).unwrap();
        remembered(&callers, &with_auth(&basic("cwmock+Tok:en")), 2, |_| Ok(caller(Via::Token))).unwrap();
        assert_eq!(
            callers.known.lock().unwrap().len(),
            1,
            "failures, integrators and expiring tokens are never remembered"
        );
    }

    #[test]
    fn remembered_callers_are_bounded() {
        let callers = Callers::default();
        for n in 0..REMEMBERED_CALLERS + 10 {
            remembered(&callers, &with_auth(&basic(&format!("cwmock+P{n}:x"))), 1, |_| Ok(caller(Via::ApiKey)))
                .unwrap();
        }
        assert!(callers.known.lock().unwrap().len() <= REMEMBERED_CALLERS);
    }

    #[test]
    fn a_missing_client_id_is_a_400_naming_the_header() {
        let e = client_id(&HeaderMap::new()).unwrap_err();
        assert_eq!(e.status, 400);
        assert_eq!(e.errors.as_ref().unwrap()[0].field, "clientId");
    }
}
