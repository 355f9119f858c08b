//! The shop API of the reference pipeline: a placeholder service that says who it is.

fn greeting() -> String {
    format!("shop-api {}", env!("CARGO_PKG_VERSION"))
}

fn main() {
    println!("{}", greeting());
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_names_itself() {
        assert!(super::greeting().starts_with("shop-api "));
    }
}
