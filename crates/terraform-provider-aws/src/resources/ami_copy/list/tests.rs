//! The pager against an in-process DescribeImages that pages as EC2 does (no network): page
//! sizes follow what Terraform still takes, no page is asked for once it has them, sources are
//! matched here.

use super::*;
use crate::ec2::lock;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::sync::Mutex;

/// One DescribeImages as asked: its MaxResults and NextToken.
type Asked = (u64, Option<String>);

/// Images `ami-00000000` ... in id order, each with its source (`None`: not reported).
#[derive(Clone, Debug)]
struct PagedEc2 {
    images: Arc<Vec<(String, Option<&'static str>)>>,
    /// (MaxResults, NextToken) of each call.
    calls: Arc<Mutex<Vec<Asked>>>,
}

impl PagedEc2 {
    fn new(sources: &[Option<&'static str>]) -> Self {
        let images = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("ami-{i:08x}"), *s))
            .collect();
        PagedEc2 {
            images: Arc::new(images),
            calls: Arc::default(),
        }
    }

    fn calls(&self) -> Vec<Asked> {
        lock(&self.calls).clone()
    }

    fn answer(&self, body: &str) -> String {
        let param = |name: &str| {
            body.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let size: u64 = param("MaxResults")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1000);
        let after = param("NextToken");
        lock(&self.calls).push((size, after.clone()));
        let start = after.map_or(0, |t| t.parse::<usize>().unwrap_or(0));
        let end = (start + size as usize).min(self.images.len());
        let items: String = self.images[start..end]
            .iter()
            .map(|(id, source)| {
                let source = source
                    .map(|s| format!("<sourceImageId>{s}</sourceImageId><sourceImageRegion>us-east-1</sourceImageRegion>"))
                    .unwrap_or_default();
                format!("<item><imageId>{id}</imageId><name>n-{id}</name><imageState>available</imageState>{source}</item>")
            })
            .collect();
        let next = if end < self.images.len() {
            format!("<nextToken>{end}</nextToken>")
        } else {
            String::new()
        };
        format!(
            "<DescribeImagesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
             <requestId>r1</requestId><imagesSet>{items}</imagesSet>{next}</DescribeImagesResponse>"
        )
    }
}

impl HttpConnector for PagedEc2 {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> HttpConnectorFuture {
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).to_string();
        let answer = self.answer(&body);
        let ok = StatusCode::try_from(200).expect("valid status");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(ok, SdkBody::from(answer))))
    }
}

/// Takes `limit` results, as Terraform does.
struct Taker {
    limit: u64,
    ids: Vec<String>,
    diagnostics: Diagnostics,
}

#[async_trait]
impl ListSink for Taker {
    async fn result(&mut self, result: ListResult) -> bool {
        self.ids.push(result.display_name);
        self.wanted() > 0
    }
    async fn diagnostics(&mut self, d: Diagnostics) -> bool {
        self.diagnostics.extend(d);
        true
    }
    fn wanted(&self) -> u64 {
        self.limit - self.ids.len() as u64
    }
}

/// Lists `fake`'s images with `query`, taking `limit`: the ids listed, whether the region's
/// listing ran to its end, and the images whose source could not be checked.
fn list(fake: &PagedEc2, query: &Query, limit: u64) -> (Vec<String>, bool, Vec<String>) {
    let ec2 = crate::ec2::fake_client::client_for(
        fake,
        aws_sdk_ec2::config::retry::RetryConfig::disabled(),
    );
    let ctx = Context::default();
    let region = Region {
        ec2: &ec2,
        ctx: &ctx,
        query,
        name: "us-test-1",
    };
    let mut out = Taker {
        limit,
        ids: vec![],
        diagnostics: Diagnostics::new(),
    };
    let mut unmatched = vec![];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let to_end = rt.block_on(region.pages(&mut out, &mut unmatched, |image| ListResult {
        display_name: image.image_id().unwrap_or_default().to_string(),
        ..Default::default()
    }));
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    (out.ids, to_end, unmatched)
}

const A: Option<&str> = Some("ami-aaaaaaaa");
const B: Option<&str> = Some("ami-bbbbbbbb");

#[test]
fn pages_follow_the_limit_and_stop_at_it() {
    let fake = PagedEc2::new(&[A; 12]);
    // Terraform takes 7: one page of 7, and none after it although EC2 has more.
    let (ids, to_end, _) = list(&fake, &Query::default(), 7);
    assert_eq!(ids.len(), 7);
    assert!(!to_end);
    assert_eq!(fake.calls(), [(7, None)]);

    // Takes 3: the smallest page EC2 accepts, of which three are streamed.
    let fake = PagedEc2::new(&[A; 12]);
    let (ids, _, _) = list(&fake, &Query::default(), 3);
    assert_eq!(ids, ["ami-00000000", "ami-00000001", "ami-00000002"]);
    assert_eq!(fake.calls(), [(MIN_PAGE, None)]);

    // Takes everything: pages until EC2 has no more.
    let fake = PagedEc2::new(&[A; 12]);
    let (ids, to_end, _) = list(&fake, &Query::default(), 100);
    assert_eq!(ids.len(), 12);
    assert!(to_end);
    assert_eq!(fake.calls(), [(100, None)]);
}

#[test]
fn a_source_filter_reads_further_pages_for_what_it_still_takes() {
    // Copies of A and B interleaved; the query wants 4 copies of A.
    let fake = PagedEc2::new(&[A, B, B, A, B, B, B, A, B, A, A, B]);
    let query = Query {
        source_ami_id: A.map(str::to_string),
        ..Default::default()
    };
    let (ids, to_end, _) = list(&fake, &query, 4);
    assert_eq!(
        ids,
        [
            "ami-00000000",
            "ami-00000003",
            "ami-00000007",
            "ami-00000009"
        ]
    );
    assert!(!to_end);
    // Page 1 (5 images) held 2, page 2 asked for the 2 still taken (5 at least) and held 2.
    assert_eq!(
        fake.calls(),
        [(MIN_PAGE, None), (MIN_PAGE, Some("5".to_string()))]
    );
}

#[test]
fn copies_whose_source_is_not_reported() {
    let fake = PagedEc2::new(&[None, A, None]);
    // Listed when no source is asked for.
    let (ids, _, unmatched) = list(&fake, &Query::default(), 100);
    assert_eq!(ids.len(), 3);
    assert!(unmatched.is_empty());
    // Left out, and named, when one is.
    let query = Query {
        source_ami_id: A.map(str::to_string),
        ..Default::default()
    };
    let (ids, _, unmatched) = list(&fake, &query, 100);
    assert_eq!(ids, ["ami-00000001"]);
    assert_eq!(
        unmatched,
        ["ami-00000000 (us-test-1)", "ami-00000002 (us-test-1)"]
    );
}
