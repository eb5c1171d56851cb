//! Dataset file transfers against moto, an independent S3 implementation.
//!
//! These tests need `PROVENA_TEST_S3_URL` (set by `cargo xtask test`, which starts
//! `moto_server` on 127.0.0.1); without it they print a skip notice and pass.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use provena_datastore::files::{
    CredentialSource, Progress, S3Credentials, TransferAction, TransferError, TransferOptions,
};
use time::OffsetDateTime;

#[tokio::test]
async fn upload_list_and_download_round_trip() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    let files = moto_files(
        &endpoint,
        &bucket,
        "datasets/10378-1-100",
        TransferOptions::default(),
    );

    let source = tempfile::tempdir().unwrap();
    write_file(source.path(), "readme.txt", b"hello dataset");
    write_file(source.path(), "data/a.csv", b"x,y\n1,2\n");
    write_file(source.path(), "data/nested/b.bin", &pattern(7, 70_000));

    let uploaded = files.upload_from(source.path()).await.unwrap();
    assert_eq!(
        uploaded.files,
        ["data/a.csv", "data/nested/b.bin", "readme.txt"]
    );
    assert_eq!(uploaded.bytes, 13 + 8 + 70_000);

    let listed = files.list().await.unwrap();
    let paths: Vec<_> = listed.iter().map(|entry| entry.path.as_str()).collect();
    assert_eq!(paths, ["data/a.csv", "data/nested/b.bin", "readme.txt"]);
    assert_eq!(listed[1].size, 70_000);

    let target = tempfile::tempdir().unwrap();
    let downloaded = files.download_to(target.path()).await.unwrap();
    assert_eq!(downloaded.files, uploaded.files);
    assert_eq!(local_files(target.path()), uploaded.files);
    assert_eq!(
        std::fs::read(target.path().join("readme.txt")).unwrap(),
        b"hello dataset"
    );
    assert_eq!(
        std::fs::read(target.path().join("data/nested/b.bin")).unwrap(),
        pattern(7, 70_000)
    );
}

#[tokio::test]
async fn download_chosen_file_or_folder() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    let files = moto_files(
        &endpoint,
        &bucket,
        "datasets/chosen",
        TransferOptions::default(),
    );
    let source = tempfile::tempdir().unwrap();
    write_file(source.path(), "top.txt", b"top");
    write_file(source.path(), "data/a.csv", b"a");
    write_file(source.path(), "data/b.csv", b"b");
    write_file(source.path(), "other/c.csv", b"c");
    files.upload_from(source.path()).await.unwrap();

    let one = tempfile::tempdir().unwrap();
    let summary = files
        .download_path_to("data/b.csv", one.path())
        .await
        .unwrap();
    assert_eq!(summary.files, ["data/b.csv"]);
    assert_eq!(local_files(one.path()), ["data/b.csv"]);

    let folder = tempfile::tempdir().unwrap();
    let summary = files
        .download_path_to("data/", folder.path())
        .await
        .unwrap();
    assert_eq!(summary.files, ["data/a.csv", "data/b.csv"]);
    assert_eq!(local_files(folder.path()), ["data/a.csv", "data/b.csv"]);

    let missing = tempfile::tempdir().unwrap();
    let err = files
        .download_path_to("nothing/here", missing.path())
        .await
        .unwrap_err();
    assert_eq!(err.failed_file(), Some("nothing/here"));
    assert!(local_files(missing.path()).is_empty());
}

#[tokio::test]
async fn multipart_upload_of_100_mib() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    const SIZE: usize = 100 * 1024 * 1024;
    const PART: usize = 8 * 1024 * 1024;

    let reports = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let sink = Arc::clone(&reports);
    let options = TransferOptions::default()
        .with_part_size(PART)
        .with_concurrency(4)
        .with_progress(move |progress| sink.lock().unwrap().push(progress));
    let files = moto_files(&endpoint, &bucket, "datasets/big", options);

    let source = tempfile::tempdir().unwrap();
    let contents = pattern(42, SIZE);
    write_file(source.path(), "big.bin", &contents);
    let summary = files.upload_from(source.path()).await.unwrap();
    assert_eq!(summary.bytes, SIZE as u64);

    let reports = reports.lock().unwrap().clone();
    let last = reports.last().expect("progress was reported");
    assert_eq!(last.bytes_done, SIZE as u64);
    assert_eq!(last.bytes_total, SIZE as u64);
    assert_eq!(last.files_done, 1);
    assert!(reports.len() >= SIZE / PART, "one report per part at least");
    assert!(
        reports
            .windows(2)
            .all(|pair| pair[0].bytes_done <= pair[1].bytes_done)
    );

    let listed = files.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, SIZE as u64);
    let parts = SIZE.div_ceil(PART);
    let e_tag = listed[0].e_tag.clone().unwrap_or_default();
    assert!(
        e_tag.trim_matches('"').ends_with(&format!("-{parts}")),
        "a multipart upload of {parts} parts has an e-tag ending in -{parts}, got {e_tag}"
    );

    let target = tempfile::tempdir().unwrap();
    files.download_to(target.path()).await.unwrap();
    let downloaded = std::fs::read(target.path().join("big.bin")).unwrap();
    assert_eq!(downloaded.len(), SIZE);
    assert!(
        downloaded == contents,
        "downloaded bytes differ from the upload"
    );
}

#[tokio::test]
async fn download_of_1000_small_files() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    let files_done = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&files_done);
    let options = TransferOptions::default()
        .with_concurrency(16)
        .with_progress(move |progress| {
            counter.fetch_max(progress.files_done, Ordering::Relaxed);
        });
    let files = moto_files(&endpoint, &bucket, "datasets/many", options);

    let source = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for index in 0..1000 {
        let name = format!("part-{}/file-{index:04}.txt", index % 10);
        write_file(
            source.path(),
            &name,
            format!("file number {index}").as_bytes(),
        );
        expected.push(name);
    }
    expected.sort();
    files.upload_from(source.path()).await.unwrap();
    files_done.store(0, Ordering::Relaxed);

    let target = tempfile::tempdir().unwrap();
    let summary = files.download_to(target.path()).await.unwrap();
    assert_eq!(summary.files.len(), 1000);
    assert_eq!(files_done.load(Ordering::Relaxed), 1000);
    assert_eq!(local_files(target.path()), expected);
    for index in [0, 1, 499, 999] {
        let name = format!("part-{}/file-{index:04}.txt", index % 10);
        let text = std::fs::read_to_string(target.path().join(&name)).unwrap();
        assert_eq!(text, format!("file number {index}"));
    }
}

#[tokio::test]
async fn interrupted_download_leaves_no_partial_file() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    let direct = moto_files(
        &endpoint,
        &bucket,
        "datasets/cut",
        TransferOptions::default(),
    );
    let source = tempfile::tempdir().unwrap();
    write_file(source.path(), "large.bin", &pattern(3, 12 * 1024 * 1024));
    direct.upload_from(source.path()).await.unwrap();

    // The proxy lets the listing through, then cuts the download after about 2 MiB.
    let proxy = CuttingProxy::start(&endpoint, 2 * 1024 * 1024).await;
    let options = TransferOptions::default().with_max_retries(0);
    let through_proxy = moto_files(&proxy.url, &bucket, "datasets/cut", options);
    let target = tempfile::tempdir().unwrap();
    let err = through_proxy.download_to(target.path()).await.unwrap_err();

    assert!(
        proxy.cut.load(Ordering::SeqCst),
        "the proxy cut the transfer"
    );
    assert_eq!(err.failed_file(), Some("large.bin"));
    assert!(matches!(
        err,
        TransferError::File {
            action: TransferAction::Download,
            ..
        }
    ));
    assert!(err.to_string().contains("large.bin"), "{err}");
    assert!(!target.path().join("large.bin").exists());
    assert!(
        local_files(target.path()).is_empty(),
        "no temporary file is left behind"
    );
}

/// Issues moto credentials that expire shortly after issue, counting each issue.
#[derive(Debug)]
struct ShortLivedCredentials {
    lifetime: Duration,
    issued: AtomicU64,
}

#[async_trait]
impl CredentialSource for ShortLivedCredentials {
    async fn issue(&self) -> Result<S3Credentials, provena_http::Error> {
        let number = self.issued.fetch_add(1, Ordering::SeqCst);
        let mut credentials = moto_credentials();
        credentials.access_key_id = format!("provena-test-{number}");
        credentials.expiry = Some(OffsetDateTime::now_utc() + self.lifetime);
        Ok(credentials)
    }
}

#[tokio::test]
async fn expiring_credentials_are_renewed_mid_transfer() {
    let Some(endpoint) = external_s3() else {
        return;
    };
    let bucket = create_bucket(&endpoint).await;
    // Each set expires 0.5 s after issue, inside the 1 s renewal margin, so every request
    // must find its credentials due and ask the source for new ones.
    let source = Arc::new(ShortLivedCredentials {
        lifetime: Duration::from_millis(500),
        issued: AtomicU64::new(0),
    });
    let options = TransferOptions::default()
        .with_concurrency(2)
        .with_renew_before(Duration::from_secs(1));
    let files = files_with_source(
        &endpoint,
        &bucket,
        "datasets/renew",
        source.clone(),
        options,
    );

    let local = tempfile::tempdir().unwrap();
    for index in 0..300 {
        write_file(local.path(), &format!("f{index:03}.txt"), b"renewal");
    }
    let summary = files.upload_from(local.path()).await.unwrap();
    assert_eq!(summary.files.len(), 300);
    assert_eq!(files.list().await.unwrap().len(), 300);
    assert!(
        files.credentials_issued() >= 300,
        "every upload request renewed the credentials ({} issued)",
        files.credentials_issued()
    );
    assert_eq!(
        source.issued.load(Ordering::SeqCst),
        files.credentials_issued()
    );
}
