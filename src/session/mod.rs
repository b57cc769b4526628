//! Sessions: the model, the file format and the on-disk store.

pub mod format;
pub mod model;
pub mod name;
pub mod occ;
pub mod store;

pub use model::*;
