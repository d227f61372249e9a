//! The C entry points added beyond C_API.md's first list (the lease and the
//! caller-buffer calls), driven from Rust exactly as C would call them.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use common::server;
use workload_identity::ffi::client::{
    wi_client, wi_client_free, wi_client_new, wi_get_access_token, wi_get_access_token_into,
    wi_get_access_token_lease,
};
use workload_identity::ffi::error::{wi_error, wi_error_free, wi_error_message, wi_status};
use workload_identity::ffi::options::{wi_options_free, wi_options_new, wi_options_set};
use workload_identity::ffi::strings::wi_free_string;

fn new_client(server: &wi_devserver::DevServer) -> *mut wi_client {
    let settings = [
        ("client_id", "dev-client".to_owned()),
        ("client_secret", "dev-secret".to_owned()),
        ("token_endpoint", server.token_endpoint()),
        ("access_token_endpoint", server.access_token_endpoint()),
    ];
    unsafe {
        let options = wi_options_new();
        for (key, value) in settings {
            let (key, value) = (CString::new(key).unwrap(), CString::new(value).unwrap());
            assert_eq!(
                wi_options_set(options, key.as_ptr(), value.as_ptr(), null_mut()),
                wi_status::WI_STATUS_OK
            );
        }
        let mut client = null_mut();
        assert_eq!(
            wi_client_new(options, &mut client, null_mut()),
            wi_status::WI_STATUS_OK
        );
        wi_options_free(options);
        client
    }
}

#[test]
fn lease_is_zero_after_a_fetch_then_bounded_by_a_second() {
    let server = server();
    let client = new_client(&server);
    unsafe {
        let (mut token, mut lease) = (null_mut(), 7u32);
        assert_eq!(
            wi_get_access_token_lease(client, &mut token, &mut lease, null_mut()),
            wi_status::WI_STATUS_OK
        );
        assert_eq!(
            lease, 0,
            "a token that was just fetched comes with no lease"
        );
        let first = CStr::from_ptr(token).to_owned();
        wi_free_string(token);
        assert_eq!(
            wi_get_access_token_lease(client, &mut token, &mut lease, null_mut()),
            wi_status::WI_STATUS_OK
        );
        assert!(lease > 0 && lease <= 1_000, "lease {lease}");
        assert_eq!(CStr::from_ptr(token), first.as_c_str());
        wi_free_string(token);
        let mut error: *mut wi_error = null_mut();
        assert_eq!(
            wi_get_access_token_lease(client, &mut token, null_mut(), &mut error),
            wi_status::WI_STATUS_INVALID_ARGUMENT
        );
        assert!(CStr::from_ptr(wi_error_message(error))
            .to_str()
            .unwrap()
            .contains("out_lease_ms"));
        wi_error_free(error);
        wi_client_free(client);
    }
}

#[test]
fn token_into_a_caller_buffer() {
    let server = server();
    let client = new_client(&server);
    unsafe {
        let mut expected = null_mut();
        assert_eq!(
            wi_get_access_token(client, &mut expected, null_mut()),
            wi_status::WI_STATUS_OK
        );
        let expected_text = CStr::from_ptr(expected).to_owned();
        wi_free_string(expected);
        let token_len = expected_text.as_bytes().len();

        let mut buffer = [0x55 as c_char; 128];
        let mut length = 0usize;
        assert_eq!(
            wi_get_access_token_into(
                client,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut length,
                null_mut()
            ),
            wi_status::WI_STATUS_OK
        );
        assert_eq!(length, token_len);
        assert_eq!(CStr::from_ptr(buffer.as_ptr()), expected_text.as_c_str());

        let mut small = [0x55 as c_char; 8];
        let mut error: *mut wi_error = null_mut();
        assert_eq!(
            wi_get_access_token_into(
                client,
                small.as_mut_ptr(),
                token_len,
                &mut length,
                &mut error
            ),
            wi_status::WI_STATUS_INVALID_ARGUMENT,
            "exactly the token's length leaves no room for the NUL"
        );
        assert_eq!(length, token_len, "the length needed is reported");
        assert_eq!(small[0], 0);
        wi_error_free(error);

        let mut length = 99usize;
        assert_eq!(
            wi_get_access_token_into(client, null_mut(), 0, &mut length, null_mut()),
            wi_status::WI_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            length, token_len,
            "a NULL, empty buffer asks for the length"
        );
        assert_eq!(
            wi_get_access_token_into(client, null_mut(), 10, &mut length, null_mut()),
            wi_status::WI_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            wi_get_access_token_into(
                client,
                buffer.as_mut_ptr(),
                buffer.len(),
                null_mut(),
                null_mut()
            ),
            wi_status::WI_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            wi_get_access_token_into(
                null(),
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut length,
                null_mut()
            ),
            wi_status::WI_STATUS_INVALID_ARGUMENT
        );
        wi_client_free(client);
    }
}
