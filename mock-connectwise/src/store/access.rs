//! Who may call: API keys (made in the mock console, as in the UI), member tokens
//! (`POST /system/members/{identifier}/tokens`) and integrator logins.

use serde::Serialize;

use super::secrets::{ApiKey, KeyGen, SecretHash, Token};
use super::tenant::Tenant;
use super::{Caller, StoreError, Via};
use crate::datetime;
use crate::resources::Res;
use cw_model::RoleLevels;

/// How long a member token authenticates. ConnectWise does not publish it (assumption).
pub const TOKEN_LIFETIME_SECS: i64 = 4 * 60 * 60;
/// The longest API-key description accepted (assumption).
pub const MAX_KEY_DESCRIPTION: usize = 100;

/// Why credentials were refused. The API answers 401 for all of them; the message may say
/// which, but never whether a key or user exists when the secret was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("The supplied authentication is incorrect.")]
    BadCredentials,
    #[error("The API key is inactive.")]
    InactiveKey,
    #[error("The member {0} is inactive.")]
    InactiveMember(String),
    #[error("The member token has expired.")]
    ExpiredToken,
    #[error("The integrator login is inactive.")]
    InactiveIntegrator,
}

/// An API key as the console lists it: never the private half (the console protocol's type).
pub(crate) use cw_model::console::ApiKey as KeyView;
pub use cw_model::console::SaveAction;

/// A key just made; `private_key` is `Some` only for [`SaveAction::Save`].
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewKey {
    #[serde(flatten)]
    pub(crate) key: KeyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) private_key: Option<String>,
}

/// A member token (the `Token` schema).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IssuedToken {
    pub(crate) public_key: String,
    pub(crate) private_key: String,
    pub(crate) expiration: String,
}

impl Tenant {
    /// Checks `company+public:private` credentials (or an integrator's `username:password`).
    pub(crate) fn authenticate(
        &self,
        public: &str,
        private: &str,
        integrator: bool,
        now: i64,
    ) -> Result<Caller, AuthError> {
        if integrator {
            return self.authenticate_integrator(public, private);
        }
        let member_id = if let Some(key) = self.key_index.get(public).and_then(|id| self.keys.get(id)) {
            if !key.private.verify(private) {
                return Err(AuthError::BadCredentials);
            }
            if key.inactive {
                return Err(AuthError::InactiveKey);
            }
            key.member_id
        } else if let Some(token) = self.tokens.get(public) {
            if !token.private.verify(private) {
                return Err(AuthError::BadCredentials);
            }
            if token.expires_at <= now {
                return Err(AuthError::ExpiredToken);
            }
            token.member_id
        } else {
            // As much work as a wrong private key: an unknown public key is not told apart.
            SecretHash::verify_nothing(private);
            return Err(AuthError::BadCredentials);
        };
        let via = if self.key_index.contains_key(public) { Via::ApiKey } else { Via::Token };
        let member = self.member_summary(member_id).ok_or(AuthError::BadCredentials)?;
        if member.inactive {
            return Err(AuthError::InactiveMember(member.identifier.to_owned()));
        }
        let role = member.role_id.and_then(|id| {
            let name = self.table(Res::SecurityRoles).view(id)?.str("name")?.to_owned();
            Some((id, name))
        });
        let levels = role.as_ref().and_then(|(id, _)| self.levels.get(id)).cloned().unwrap_or_default();
        Ok(Caller {
            company: self.company.clone(),
            member_id,
            identifier: member.identifier.to_owned(),
            role,
            levels,
            via,
        })
    }

    fn authenticate_integrator(&self, username: &str, password: &str) -> Result<Caller, AuthError> {
        let table = self.table(Res::IntegratorLogins);
        let secret =
            table.find_unique(username).and_then(|id| Some((id, self.secrets.get(&(Res::IntegratorLogins, id))?)));
        let Some((id, secret)) = secret else {
            // An unknown user name costs what a wrong password costs.
            SecretHash::verify_nothing(password);
            return Err(AuthError::BadCredentials);
        };
        if !secret.verify(password) {
            return Err(AuthError::BadCredentials);
        }
        let doc = table.view(id).ok_or(AuthError::BadCredentials)?;
        if doc.flag("inactiveFlag") == Some(true) {
            return Err(AuthError::InactiveIntegrator);
        }
        let can_impersonate = doc.flag("memberApiFlag") == Some(true) || doc.flag("canAccessAllApisFlag") == Some(true);
        Ok(Caller {
            company: self.company.clone(),
            member_id: 0,
            identifier: doc.str("username").unwrap_or(username).to_owned(),
            role: None,
            levels: RoleLevels::none(),
            via: Via::Integrator { can_impersonate },
        })
    }

    fn key_view(&self, key: &ApiKey) -> KeyView {
        let identifier = self.member_summary(key.member_id).map(|m| m.identifier.to_owned()).unwrap_or_default();
        KeyView {
            id: key.id,
            member_id: key.member_id,
            member_identifier: identifier,
            description: key.description.clone(),
            public_key: key.public_key.clone(),
            created_at: datetime::format(key.created_at),
            private_key_shown: key.private_shown,
            inactive_flag: key.inactive,
        }
    }

    fn member_id(&self, identifier: &str) -> Result<u32, StoreError> {
        self.member_by_identifier(identifier)
            .map(|(_, id)| id)
            .ok_or_else(|| StoreError::NotFound(format!("Member {identifier}")))
    }

    /// Makes an API key for a member; `public` and `private` are given only by fixtures.
    pub(crate) fn create_key(
        &mut self,
        member: &str,
        description: &str,
        action: SaveAction,
        given: Option<(&str, &str)>,
        now: i64,
        keys: &KeyGen,
    ) -> Result<NewKey, StoreError> {
        let member_id = self.member_id(member)?;
        let description = description.trim();
        let problem = if description.is_empty() {
            Some("Description is required.".to_owned())
        } else if description.chars().count() > MAX_KEY_DESCRIPTION {
            Some(format!("Description must be at most {MAX_KEY_DESCRIPTION} characters."))
        } else {
            None
        };
        if let Some(message) = problem {
            let error =
                crate::validate::FieldError::new(crate::validate::FieldErrorCode::InvalidField, "description", message);
            return Err(StoreError::Invalid { noun: "apiKey", errors: vec![error] });
        }
        let (public, private) = match given {
            Some((p, s)) => (p.to_owned(), s.to_owned()),
            None => (keys.key(), keys.key()),
        };
        if self.key_index.contains_key(&public) || self.tokens.contains_key(&public) {
            return Err(StoreError::Conflict(format!("public key {public} is already in use")));
        }
        let id = self.next_key_id()?;
        let key = ApiKey {
            id,
            member_id,
            description: description.to_owned(),
            public_key: public.clone(),
            private: SecretHash::new(&private, keys),
            created_at: now,
            private_shown: action == SaveAction::Save,
            inactive: false,
        };
        let view = self.key_view(&key);
        self.key_index.insert(public, key.id);
        self.touched.keys.push(key.id);
        self.keys.insert(key.id, key);
        Ok(NewKey { key: view, private_key: (action == SaveAction::Save).then_some(private) })
    }

    /// A member's keys, or every key when `member` is `None`.
    pub(crate) fn list_keys(&self, member: Option<&str>) -> Result<Vec<KeyView>, StoreError> {
        let only = member.map(|m| self.member_id(m)).transpose()?;
        Ok(self.keys.values().filter(|k| only.is_none_or(|m| k.member_id == m)).map(|k| self.key_view(k)).collect())
    }

    pub(crate) fn delete_key(&mut self, id: u32) -> Result<(), StoreError> {
        let key = self.keys.remove(&id).ok_or_else(|| StoreError::NotFound(format!("API key {id}")))?;
        self.key_index.remove(&key.public_key);
        self.touched.keys.push(id);
        Ok(())
    }

    pub(crate) fn set_key_inactive(&mut self, id: u32, inactive: bool) -> Result<KeyView, StoreError> {
        let key = self.keys.get_mut(&id).ok_or_else(|| StoreError::NotFound(format!("API key {id}")))?;
        key.inactive = inactive;
        let key = key.clone();
        self.touched.keys.push(id);
        Ok(self.key_view(&key))
    }

    /// A token that authenticates as `member` until it expires.
    pub(crate) fn issue_token(&mut self, member: &str, now: i64, keys: &KeyGen) -> Result<IssuedToken, StoreError> {
        let member_id = self.member_id(member)?;
        if self.member_summary(member_id).is_some_and(|m| m.inactive) {
            return Err(StoreError::Conflict(format!("Member {member} is inactive")));
        }
        let touched = &mut self.touched.tokens;
        self.tokens.retain(|k, t| t.expires_at > now || super::persist::Touched::gone(touched, k));
        let (public, private) = (keys.key(), keys.key());
        self.touched.tokens.push(public.clone());
        let expires_at = now + TOKEN_LIFETIME_SECS;
        self.tokens.insert(public.clone(), Token { member_id, private: SecretHash::new(&private, keys), expires_at });
        Ok(IssuedToken { public_key: public, private_key: private, expiration: datetime::format(expires_at) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::secrets::DIGESTS;
    use crate::store::{FixtureSet, Store, StoreConfig};

    fn digests_for(f: impl FnOnce() -> bool) -> u64 {
        let before = DIGESTS.with(std::cell::Cell::get);
        assert!(!f(), "the credentials were accepted");
        DIGESTS.with(std::cell::Cell::get) - before
    }

    #[test]
    fn an_unknown_key_costs_as_many_digests_as_a_wrong_private_key() {
        let set = FixtureSet::builtin();
        let admin = set.admin().unwrap();
        let store =
            Store::new(StoreConfig { clock: Arc::new(crate::ManualClock::at(0)), key_seed: Some(1), fixtures: set })
                .unwrap();
        let auth = |public: &str, private: &str, integrator: bool| {
            store.authenticate(&admin.company, public, private, integrator).is_ok()
        };
        let wrong_private = digests_for(|| auth(&admin.public_key, "WrongPrivateKey1", false));
        let unknown_public = digests_for(|| auth("UnknownPublicKey", "WrongPrivateKey1", false));
        assert_eq!(wrong_private, 1);
        assert_eq!(unknown_public, wrong_private, "an unknown public key must do the same work");
        let wrong_password = digests_for(|| auth("BackupSync", "not-the-password", true));
        let unknown_user = digests_for(|| auth("NoSuchLogin", "not-the-password", true));
        assert_eq!(wrong_password, 1);
        assert_eq!(unknown_user, wrong_password, "an unknown integrator login must do the same work");
        assert!(auth(&admin.public_key, &admin.private_key, false), "the right key still works");
    }
}
