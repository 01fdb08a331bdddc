//! Every value of a setup checked before the first change on the server (issue #27, defect
//! 15): a name the server would refuse, or a value the key file could not hold, found after a
//! login or a shown-once key was made would leave a secret behind that nobody can use.

use cw_model::Connection;
use cw_model::connection::dotenv_line;
use cw_model::profile::{INTEGRATOR_FLAGS, MAX_IDENTIFIER, MAX_NAME, MAX_USERNAME};

use crate::{Error, Setup};

fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidSetup { what, value: value.to_owned(), reason: reason.into() }
}

/// A name: 1 to `max` characters, no control character, no space at either end.
fn name(what: &'static str, value: &str, max: usize) -> Result<(), Error> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Err(invalid(what, value, format!("it must be 1 to {max} characters, not {n}")));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(invalid(what, value, format!("it holds the control character {c:?}")));
    }
    if value.trim() != value {
        return Err(invalid(what, value, "it starts or ends with a space"));
    }
    Ok(())
}

/// Checks every name the setup sends and every value `apply` would write to the key file.
pub fn setup(setup: &Setup, admin: &Connection) -> Result<(), Error> {
    names(setup)?;
    // What the key file will hold besides the keys themselves (checked when they arrive).
    for (key, value) in [
        ("CW_URL", admin.url.as_str()),
        ("CW_COMPANY", admin.company.as_str()),
        ("CW_CLIENT_ID", admin.client_id.as_str()),
        ("CW_INTEGRATOR_USERNAME", setup.integrator.as_str()),
    ] {
        dotenv_line(key, value)
            .map_err(|_| invalid("key file value", value, format!("{key} cannot be written safely")))?;
    }
    Ok(())
}

/// Checks every name and flag the setup sends to the server.
pub fn names(setup: &Setup) -> Result<(), Error> {
    name("member identifier", &setup.member, MAX_IDENTIFIER)?;
    if setup.member.chars().any(|c| !c.is_ascii_alphanumeric() && !"_-.".contains(c)) {
        return Err(invalid("member identifier", &setup.member, "it may hold letters, digits, '_', '-' and '.' only"));
    }
    name("member name", &setup.member_name, MAX_NAME)?;
    name("role", &setup.role, MAX_NAME)?;
    name("key description", &setup.key_description, 100)?;
    if setup.profile.integrator_login.is_some() {
        name("integrator username", &setup.integrator, MAX_USERNAME)?;
    }
    for flag in setup.profile.integrator_flags() {
        if !INTEGRATOR_FLAGS.contains(&flag.as_str()) {
            return Err(invalid("integrator flag", flag, "it is not a flag of an integrator login"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Connection {
        Connection {
            url: "http://127.0.0.1:1".into(),
            company: "cwmock".into(),
            public_key: "p".into(),
            private_key: secrecy::SecretString::from("s".to_owned()),
            client_id: "c".into(),
        }
    }

    #[test]
    fn the_default_setup_is_valid() {
        setup(&Setup::default(), &admin()).unwrap();
    }

    #[test]
    fn a_line_break_or_an_overlong_name_anywhere_is_refused() {
        type Change = fn(&mut Setup);
        let cases: [(&str, Change); 6] = [
            ("integrator username", |s| s.integrator = "Sync\nCW_URL=evil".into()),
            ("integrator username", |s| s.integrator = "x".repeat(MAX_USERNAME + 1)),
            ("member identifier", |s| s.member = "Sync Member".into()),
            ("role", |s| s.role = "Role\r".into()),
            ("member name", |s| s.member_name = " padded".into()),
            ("integrator flag", |s| {
                if let Some(i) = s.profile.integrator_login.as_mut() {
                    i.flags.push("notAFlag".into());
                }
            }),
        ];
        for (what, change) in cases {
            let mut s = Setup::default();
            change(&mut s);
            let e = setup(&s, &admin()).unwrap_err();
            assert!(e.to_string().starts_with(what), "{what}: {e}");
        }
        let mut conn = admin();
        conn.company = "cw\nmock".into();
        assert!(setup(&Setup::default(), &conn).is_err());
    }
}
