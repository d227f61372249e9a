//! Fork safety: no lock of the library is copied into a child in a locked state.
//!
//! `pthread_atfork` handlers take every lock of the identity registry and the
//! skill environment's state lock before `fork` and release them in both
//! processes. The rest needs no handler: a refresh in flight in the parent is
//! ignored by the child (each flight records its process id), and a child
//! builds its own HTTP agent (see `transport`).

use std::sync::Once;

extern "C" fn prepare() {
    crate::identity::hold_all_for_fork();
    crate::skill_env::hold_for_fork();
}

extern "C" fn release() {
    // SAFETY: runs once after `prepare`, in the parent or in the child.
    unsafe {
        crate::skill_env::release_after_fork();
        crate::identity::release_all_after_fork();
    }
}

/// Registers the handlers once per process.
pub(crate) fn install_handlers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: plain function pointers with the signature pthread_atfork expects.
        let result = unsafe { libc::pthread_atfork(Some(prepare), Some(release), Some(release)) };
        if result != 0 {
            crate::log::log(crate::log::Level::Warn, || {
                "could not register fork handlers".to_owned()
            });
        }
    });
}
