//! Choosing the one image from what DescribeImages returned, with upstream's rules:
//! `name_regex` applied here (images without a name never match), none → an error, several
//! without `most_recent` → an error, otherwise the latest `CreationDate`. Pure.

use aws_sdk_ec2::types::Image;
use regex::Regex;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Why no single image could be chosen: a diagnostic's summary and detail.
pub type Refusal = (&'static str, &'static str);

/// Nothing matches.
pub const NO_RESULTS: Refusal = (
    "No AMI matches the query",
    "No image passed the owners, filters and name_regex given in this region. Check them and the \
     region (deprecated images need include_deprecated = true).",
);
/// Several images match and `most_recent` is not set.
pub const MANY_RESULTS: Refusal = (
    "More than one AMI matches the query",
    "Narrow the query (a name or image-id filter, owners, name_regex), or set most_recent = true \
     to take the newest of them.",
);

/// The image the data source reports, or why there is none.
pub fn select(
    images: Vec<Image>,
    name_regex: Option<&Regex>,
    most_recent: bool,
) -> Result<Image, Refusal> {
    let mut matching: Vec<Image> = match name_regex {
        Some(re) => images
            .into_iter()
            .filter(|i| i.name().is_some_and(|n| !n.is_empty() && re.is_match(n)))
            .collect(),
        None => images,
    };
    if matching.len() > 1 && !most_recent {
        return Err(MANY_RESULTS);
    }
    // The first of the newest wins a tie; a date EC2 wrote unreadably counts as the oldest.
    let mut best: Option<(usize, OffsetDateTime)> = None;
    for (i, image) in matching.iter().enumerate() {
        let created = creation_time(image);
        if best.is_none_or(|(_, t)| created > t) {
            best = Some((i, created));
        }
    }
    match best {
        Some((i, _)) => Ok(matching.swap_remove(i)),
        None => Err(NO_RESULTS),
    }
}

fn creation_time(image: &Image) -> OffsetDateTime {
    image
        .creation_date()
        .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_well() {
        let diags: Vec<_> = [NO_RESULTS, MANY_RESULTS]
            .iter()
            .map(|(summary, detail)| tfplugin::Diagnostic::error(*summary, *detail))
            .collect();
        crate::wording::assert_all_read_well(&diags);
    }

    fn image(id: &str, name: Option<&str>, created: &str) -> Image {
        Image::builder()
            .image_id(id)
            .set_name(name.map(str::to_string))
            .creation_date(created)
            .build()
    }

    fn id(r: Result<Image, Refusal>) -> Result<String, Refusal> {
        r.map(|i| i.image_id().unwrap_or_default().to_string())
    }

    #[test]
    fn none_and_several_use_upstream_wording() {
        assert_eq!(id(select(vec![], None, true)), Err(NO_RESULTS));
        let two = || {
            vec![
                image("ami-1", Some("a"), "2024-01-01T00:00:00.000Z"),
                image("ami-2", Some("b"), "2024-02-01T00:00:00.000Z"),
            ]
        };
        assert_eq!(id(select(two(), None, false)), Err(MANY_RESULTS));
        assert_eq!(id(select(two(), None, true)), Ok("ami-2".into()));
    }

    #[test]
    fn most_recent_is_the_latest_creation_date_wherever_it_is_listed() {
        let newest_first = vec![
            image("ami-new", Some("x"), "2025-03-01T10:00:01.000Z"),
            image("ami-old", Some("x"), "2025-03-01T10:00:00.000Z"),
            image("ami-bad", Some("x"), "not a date"),
        ];
        assert_eq!(id(select(newest_first, None, true)), Ok("ami-new".into()));
        let newest_last = vec![
            image("ami-old", Some("x"), "2025-03-01T10:00:00.000Z"),
            image("ami-new", Some("x"), "2025-03-01T10:00:01.000Z"),
        ];
        assert_eq!(id(select(newest_last, None, true)), Ok("ami-new".into()));
        let tie = vec![
            image("ami-first", Some("x"), "2025-03-01T10:00:00.000Z"),
            image("ami-second", Some("x"), "2025-03-01T10:00:00.000Z"),
        ];
        assert_eq!(id(select(tie, None, true)), Ok("ami-first".into()));
    }

    #[test]
    fn name_regex_filters_before_counting() {
        let re = Regex::new("^golden-\\d{3}$").unwrap();
        let images = vec![
            image("ami-1", Some("golden-001"), "2024-01-01T00:00:00.000Z"),
            image("ami-2", Some("golden-latest"), "2024-05-01T00:00:00.000Z"),
            image("ami-3", None, "2024-06-01T00:00:00.000Z"),
        ];
        assert_eq!(id(select(images, Some(&re), false)), Ok("ami-1".into()));
        let nothing = vec![image(
            "ami-2",
            Some("golden-latest"),
            "2024-05-01T00:00:00.000Z",
        )];
        assert_eq!(id(select(nothing, Some(&re), true)), Err(NO_RESULTS));
    }
}
