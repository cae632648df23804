//! PanteraS's last release, 0.4.4, seen from a 0.3.x host: what moving a
//! host to 0.4.4 changes (`check --upgrade-to 0.4.4`), and what becomes of
//! an app's routing tags (`app check --image 0.4.4`).

mod changes;
mod report;
pub mod tags;

pub use report::report;

pub use crate::line::LAST_RELEASE;
