//! Sessions: the model, the file format and the on-disk store.

pub mod cost;
pub mod error;
pub mod evidence;
pub mod format;
pub mod key;
pub mod model;
pub mod name;
pub mod occ;
pub mod sorted_map;
pub mod store;
mod stream;
pub mod validate;

pub use error::SessionError;
pub use evidence::{KeyEvidence, Verdict};
pub use model::*;
pub use name::SessionName;
pub use sorted_map::{Key, SortedMap};
pub use store::{Limits, SessionRef, Store};
