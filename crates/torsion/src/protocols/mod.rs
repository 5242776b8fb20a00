pub mod policies;
