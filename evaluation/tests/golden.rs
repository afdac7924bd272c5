//! The golden fixture (tests/fixtures/evaluation/): records in, the three report files out, byte
//! for byte. The trainer's and the page's tests hold their downloads to the same files.

use std::path::PathBuf;

use effilens_evaluation::formats::{CSV_FILE, JSON_FILE, TEXT_FILE, parse_report, predictions_csv, predictions_txt, report_json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/evaluation").join(name)
}

#[test]
fn records_render_to_the_golden_files() {
    let (evaluation, rule) = parse_report(&std::fs::read_to_string(fixture("records.json")).unwrap()).unwrap();
    let rendered = [
        (TEXT_FILE, predictions_txt(&evaluation, &rule)),
        (JSON_FILE, report_json(&evaluation, &rule)),
        (CSV_FILE, predictions_csv(&evaluation, &rule)),
    ];
    for (name, text) in rendered {
        if std::env::var_os("EFFILENS_BLESS").is_some() {
            std::fs::write(fixture(name), &text).unwrap();
        }
        let golden = std::fs::read_to_string(fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(text, golden, "{name} differs from the golden file");
    }
}

#[test]
fn the_golden_report_reads_back_to_itself() {
    let golden = std::fs::read_to_string(fixture(JSON_FILE)).unwrap();
    let (evaluation, rule) = parse_report(&golden).unwrap();
    assert_eq!(report_json(&evaluation, &rule), golden);
}
