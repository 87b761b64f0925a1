//! The batching and the splitting of failed batches, against an in-process fake of
//! DescribeImages by ImageIds (no network).

use super::*;
use crate::ec2::lock;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq)]
enum NotFoundStyle {
    /// Like EC2: the error names the ids that do not exist.
    NamesMissing,
    /// A backend whose message names nothing.
    NamesNothing,
}

#[derive(Clone, Debug)]
struct FakeEc2 {
    /// Existing images and their state.
    images: Arc<HashMap<String, &'static str>>,
    style: NotFoundStyle,
    /// Ids asked for, per call.
    calls: Arc<Mutex<Vec<Vec<String>>>>,
}

impl FakeEc2 {
    fn new(images: &[(&str, &'static str)], style: NotFoundStyle) -> Self {
        FakeEc2 {
            images: Arc::new(images.iter().map(|(i, s)| (i.to_string(), *s)).collect()),
            style,
            calls: Arc::default(),
        }
    }

    fn client(&self) -> aws_sdk_ec2::Client {
        crate::ec2::fake_client::client_for(
            self,
            aws_sdk_ec2::config::retry::RetryConfig::disabled(),
        )
    }

    fn calls(&self) -> Vec<Vec<String>> {
        lock(&self.calls).clone()
    }

    fn answer(&self, ids: Vec<String>) -> (u16, String) {
        lock(&self.calls).push(ids.clone());
        if let Some(bad) = ids.iter().find(|i| !looks_like_image_id(i)) {
            return (
                400,
                error_xml("InvalidAMIID.Malformed", &format!("Invalid id: \"{bad}\"")),
            );
        }
        let missing: Vec<&String> = ids
            .iter()
            .filter(|i| !self.images.contains_key(*i))
            .collect();
        if !missing.is_empty() {
            let msg = match self.style {
                NotFoundStyle::NamesMissing => format!(
                    "The image ids '[{}]' do not exist",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                NotFoundStyle::NamesNothing => "Some image does not exist".to_string(),
            };
            return (400, error_xml("InvalidAMIID.NotFound", &msg));
        }
        let items: String = ids
            .iter()
            .map(|id| {
                format!(
                    "<item><imageId>{id}</imageId><imageState>{}</imageState></item>",
                    self.images[id]
                )
            })
            .collect();
        (
            200,
            format!(
                "<DescribeImagesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                 <requestId>r1</requestId><imagesSet>{items}</imagesSet></DescribeImagesResponse>"
            ),
        )
    }
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>req-1</RequestID></Response>"
    )
}

/// The `ImageId.N` values of a query-protocol body.
fn image_ids(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut ids: Vec<(u32, String)> = text
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| {
            let n = k.strip_prefix("ImageId.")?.parse().ok()?;
            Some((n, v.replace("%21", "!")))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, v)| v).collect()
}

impl HttpConnector for FakeEc2 {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> HttpConnectorFuture {
        let (status, body) = self.answer(image_ids(request.body().bytes().unwrap_or_default()));
        let status = StatusCode::try_from(status).expect("fake uses valid statuses");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(body))))
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn error_messages_name_ids() {
    let asked = ids(&["ami-1", "ami-2", "ami-3"]);
    assert_eq!(
        ids_named("The image ids '[ami-1, ami-3]' do not exist", &asked),
        ids(&["ami-1", "ami-3"])
    );
    assert_eq!(
        ids_named("The image id '[ami-2]' does not exist", &asked),
        ids(&["ami-2"])
    );
    // Ids that were not asked for, or that only share a prefix, are not taken.
    assert!(ids_named("The image id '[ami-12]' does not exist", &asked).is_empty());
}

#[test]
fn splitting_after_a_failed_batch() {
    let chunk = ids(&["ami-1", "ami-2"]);
    assert_eq!(
        split_after_error(
            &chunk,
            Some("InvalidAMIID.NotFound"),
            "The image id '[ami-2]' does not exist"
        ),
        Split::Gone(ids(&["ami-2"]))
    );
    assert_eq!(
        split_after_error(&chunk, Some("InvalidAMIID.NotFound"), "not found"),
        Split::Singles
    );
    assert_eq!(
        split_after_error(&chunk, Some("InvalidAMIID.Malformed"), "bad"),
        Split::Singles
    );
    assert_eq!(
        split_after_error(&chunk, Some("RequestLimitExceeded"), "slow down"),
        Split::Fail
    );
    assert_eq!(
        split_after_error(&ids(&["ami-1"]), Some("InvalidAMIID.NotFound"), "ami-1"),
        Split::Fail
    );
}

#[tokio::test]
async fn one_call_answers_every_id() {
    let fake = FakeEc2::new(
        &[
            ("ami-1", "available"),
            ("ami-2", "pending"),
            ("ami-3", "deregistered"),
        ],
        NotFoundStyle::NamesMissing,
    );
    let r = describe_batch(&fake.client(), &ids(&["ami-1", "ami-2", "ami-3", "ami-1"])).await;
    assert_eq!(fake.calls().len(), 1);
    assert_eq!(
        r["ami-1"]
            .as_ref()
            .expect("ok")
            .as_ref()
            .and_then(|i| i.image_id()),
        Some("ami-1")
    );
    assert!(r["ami-2"].as_ref().expect("ok").is_some());
    // Deregistered is gone, as for a single read.
    assert!(r["ami-3"].as_ref().expect("ok").is_none());
}

#[tokio::test]
async fn ids_that_never_existed_are_gone_and_the_rest_are_asked_again() {
    let fake = FakeEc2::new(
        &[("ami-1", "available"), ("ami-3", "available")],
        NotFoundStyle::NamesMissing,
    );
    let r = describe_batch(&fake.client(), &ids(&["ami-1", "ami-2", "ami-3"])).await;
    assert!(r["ami-1"].as_ref().expect("ok").is_some());
    assert!(r["ami-2"].as_ref().expect("ok").is_none());
    assert!(r["ami-3"].as_ref().expect("ok").is_some());
    assert_eq!(
        fake.calls(),
        vec![ids(&["ami-1", "ami-2", "ami-3"]), ids(&["ami-1", "ami-3"])]
    );
}

#[tokio::test]
async fn an_error_naming_nothing_falls_back_to_single_reads() {
    let fake = FakeEc2::new(
        &[("ami-1", "available"), ("ami-3", "available")],
        NotFoundStyle::NamesNothing,
    );
    let r = describe_batch(&fake.client(), &ids(&["ami-1", "ami-2", "ami-3"])).await;
    assert!(r["ami-1"].as_ref().expect("ok").is_some());
    assert!(r["ami-2"].as_ref().expect("ok").is_none());
    assert!(r["ami-3"].as_ref().expect("ok").is_some());
    assert_eq!(fake.calls().len(), 4, "{:?}", fake.calls());
}

#[tokio::test]
async fn a_malformed_id_fails_only_itself() {
    let fake = FakeEc2::new(&[("ami-1", "available")], NotFoundStyle::NamesMissing);
    let r = describe_batch(&fake.client(), &ids(&["ami-1", "ami-x!"])).await;
    assert!(r["ami-1"].as_ref().expect("ok").is_some());
    let err = r["ami-x!"].as_ref().expect_err("malformed");
    assert!(err.contains("InvalidAMIID.Malformed"), "{err}");
}

#[tokio::test]
async fn reads_arriving_together_share_one_call() {
    // Announced refresh reads and the others batch apart, by their own rules: both share calls.
    for announced in [false, true] {
        let fake = FakeEc2::new(
            &[
                ("ami-1", "available"),
                ("ami-2", "available"),
                ("ami-3", "available"),
            ],
            NotFoundStyle::NamesMissing,
        );
        let key = BatchKey {
            owner: usize::MAX - usize::from(announced),
            region: "us-test-1".to_string(),
        };
        let mut answers = Vec::new();
        for id in ["ami-1", "ami-2", "ami-3", "ami-9"] {
            let (tx, rx) = oneshot::channel();
            join(key.clone(), || fake.client(), id, announced, tx);
            answers.push(rx);
        }
        let mut found = Vec::new();
        for rx in answers {
            found.push(rx.await.expect("answered").expect("no error").is_some());
        }
        assert_eq!(found, vec![true, true, true, false]);
        // One batch: the call with every id, then the retry without the one that does not
        // exist.
        assert_eq!(
            fake.calls(),
            vec![
                ids(&["ami-1", "ami-2", "ami-3", "ami-9"]),
                ids(&["ami-1", "ami-2", "ami-3"])
            ],
            "announced: {announced}"
        );
    }
}
