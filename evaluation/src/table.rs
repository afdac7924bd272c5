//! The page's table of every evaluated image: filtered to a kind of mistake, sorted by any
//! column, one page of rows at a time, with the figures already formatted.

use serde::Serialize;

use crate::decision::DecisionRule;
use crate::report::Evaluation;

/// Which rows to show. False positives and negatives are relative to `positive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    All,
    Mistakes,
    FalsePositives,
    FalseNegatives,
}

impl Filter {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "all" => Ok(Self::All),
            "mistakes" => Ok(Self::Mistakes),
            "false-positives" => Ok(Self::FalsePositives),
            "false-negatives" => Ok(Self::FalseNegatives),
            other => Err(format!("unknown filter '{other}'")),
        }
    }

    fn keeps(self, truth: usize, predicted: usize, positive: usize) -> bool {
        match self {
            Self::All => true,
            Self::Mistakes => truth != predicted,
            Self::FalsePositives => predicted == positive && truth != positive,
            Self::FalseNegatives => truth == positive && predicted != positive,
        }
    }
}

/// The column rows are ordered by; ties always fall back to path order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Path,
    True,
    Predicted,
    Probability(usize),
}

impl SortKey {
    /// `path`, `true`, `predicted`, or a class index for its probability.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "path" => Ok(Self::Path),
            "true" => Ok(Self::True),
            "predicted" => Ok(Self::Predicted),
            index => index.parse().map(Self::Probability).map_err(|_| format!("unknown sort key '{index}'")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Position in `Evaluation::predictions`.
    pub index: usize,
    pub path: String,
    #[serde(rename = "true")]
    pub truth: String,
    pub predicted: String,
    pub correct: bool,
    /// Four decimals.
    pub probabilities: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TablePage {
    /// Rows that pass the filter, on all pages.
    pub total: usize,
    /// Index of `rows[0]` among them.
    pub first: usize,
    pub rows: Vec<Row>,
}

pub struct TableQuery {
    pub rule: DecisionRule,
    pub positive: usize,
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    pub page: usize,
    pub page_size: usize,
}

/// One page of the table; a page past the end shows the last one.
pub fn table_page(evaluation: &Evaluation, query: &TableQuery) -> TablePage {
    let classes = &evaluation.classes;
    let predicted = evaluation.predicted(&query.rule);
    let predictions = &evaluation.predictions;
    let mut kept: Vec<usize> = (0..predictions.len())
        .filter(|&i| query.filter.keeps(predictions[i].truth, predicted[i], query.positive))
        .collect();
    kept.sort_by(|&a, &b| {
        let order = match query.sort {
            SortKey::Path => std::cmp::Ordering::Equal,
            SortKey::True => classes[predictions[a].truth].cmp(&classes[predictions[b].truth]),
            SortKey::Predicted => classes[predicted[a]].cmp(&classes[predicted[b]]),
            SortKey::Probability(class) => {
                let probability = |i: usize| predictions[i].probabilities.get(class).copied().unwrap_or(0.0);
                probability(a).total_cmp(&probability(b))
            }
        };
        let order = if query.descending { order.reverse() } else { order };
        let by_path = predictions[a].path.cmp(&predictions[b].path);
        order.then(if query.descending && query.sort == SortKey::Path { by_path.reverse() } else { by_path })
    });
    let page_size = query.page_size.max(1);
    let last_page = kept.len().saturating_sub(1) / page_size;
    let first = query.page.min(last_page) * page_size;
    let rows = kept
        .iter()
        .skip(first)
        .take(page_size)
        .map(|&index| Row {
            index,
            path: predictions[index].path.clone(),
            truth: classes[predictions[index].truth].clone(),
            predicted: classes[predicted[index]].clone(),
            correct: predicted[index] == predictions[index].truth,
            probabilities: predictions[index].probabilities.iter().map(|p| format!("{p:.4}")).collect(),
        })
        .collect();
    TablePage { total: kept.len(), first, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ModelInfo;

    fn evaluation() -> Evaluation {
        let mut evaluation = Evaluation::new(ModelInfo::default(), vec!["logo".into(), "others".into()], "v");
        for (path, truth, p) in [("v/a", 0, 0.9), ("v/b", 0, 0.2), ("v/c", 1, 0.7), ("v/d", 1, 0.1), ("v/e", 0, 0.9)] {
            evaluation.add(path, truth, vec![p, 1.0 - p]).unwrap();
        }
        evaluation
    }

    fn paths(page: &TablePage) -> Vec<&str> {
        page.rows.iter().map(|row| row.path.as_str()).collect()
    }

    fn query(filter: Filter, sort: SortKey, descending: bool) -> TableQuery {
        TableQuery { rule: DecisionRule::Argmax, positive: 0, filter, sort, descending, page: 0, page_size: 50 }
    }

    #[test]
    fn filters_are_relative_to_the_positive_class() {
        let evaluation = evaluation();
        assert_eq!(paths(&table_page(&evaluation, &query(Filter::Mistakes, SortKey::Path, false))), ["v/b", "v/c"]);
        assert_eq!(paths(&table_page(&evaluation, &query(Filter::FalsePositives, SortKey::Path, false))), ["v/c"]);
        assert_eq!(paths(&table_page(&evaluation, &query(Filter::FalseNegatives, SortKey::Path, false))), ["v/b"]);
    }

    #[test]
    fn sorting_breaks_ties_by_path_and_pages_clamp() {
        let evaluation = evaluation();
        let by_logo = table_page(&evaluation, &query(Filter::All, SortKey::Probability(0), true));
        assert_eq!(paths(&by_logo), ["v/a", "v/e", "v/c", "v/b", "v/d"]);
        assert_eq!(by_logo.rows[0].probabilities, ["0.9000", "0.1000"]);
        let mut last = query(Filter::All, SortKey::Path, true);
        (last.page, last.page_size) = (9, 2);
        let page = table_page(&evaluation, &last);
        assert_eq!((page.total, page.first, paths(&page)), (5, 4, vec!["v/a"]));
    }
}
