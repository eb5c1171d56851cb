//! Compile-time checks that the client's futures and streams can move between threads, as
//! `tokio::spawn` and object_store's credential providers require.

use provena_datastore::{DatasetHandle, DatastoreClient};

fn assert_send<T: Send>(_: &T) {}

#[allow(dead_code, reason = "only compiled, never run")]
fn client_futures_are_send(client: &DatastoreClient, dataset: &DatasetHandle) {
    assert_send(&client.fetch("10378.1/1"));
    assert_send(&client.list().pages());
    assert_send(&client.list().items());
    assert_send(&client.credentials("10378.1/1", provena_datastore::Access::Read));
    assert_send(&dataset.download_to("out"));
    assert_send(&dataset.upload_from("in"));
    assert_send(&dataset.version("reason"));
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<DatastoreClient>();
    assert_send_sync::<DatasetHandle>();
}
