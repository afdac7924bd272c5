//! ImageNet-1k class names, for models that still carry the 1000-class ImageNet classifier.

/// The names in class-index order; the file's NOTICE says where they come from.
const CLASSES: &str = include_str!("imagenet_classes.txt");

pub fn class_names() -> Vec<String> {
    CLASSES.lines().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn has_the_thousand_classes_in_order() {
        let names = super::class_names();
        assert_eq!(names.len(), 1000);
        assert!(names[281].starts_with("tabby"), "{}", names[281]);
    }
}
