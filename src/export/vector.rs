//! `ngxray export vector`: placeholder (filled in below).
pub fn render() -> String { String::new() }
pub fn config() -> String { String::new() }
