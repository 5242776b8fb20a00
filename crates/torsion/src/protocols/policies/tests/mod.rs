//! Unit tests of the policies, on the fake clock.
