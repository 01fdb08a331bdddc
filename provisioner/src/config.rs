//! The connection settings: `cw_model`'s [`Settings`] and [`Connection`], the one type every
//! crate reads the `CW_*` variables and dotenv files with.

pub use cw_model::connection::{dotenv_line, parse_dotenv, read_dotenv};
pub use cw_model::{Connection, Settings, SettingsError};
