#pragma once
// The window's run store: one long-lived store::RunStore per database file,
// opened on the GUI thread at first use and kept for the life of the
// application, instead of opening (and migrating, and recovering) the store
// again for every click. Worker threads (training, evaluation, inspection
// jobs) keep opening their own: a SQLite connection belongs to one thread.
//
// A store file replaced or removed underneath (a test writing a fresh one at
// the same path) is noticed by its file identity and opened again.
#include <QString>

namespace tb::store {
class RunStore;
}

namespace tb::ui {

// The GUI thread's store for `dbPath`. Throws what store::RunStore's
// constructor throws (tb::Error for a file that is not a run store); a
// failed open is tried again on the next call.
store::RunStore& windowStore(const QString& dbPath);

// Closes the GUI thread's store for `dbPath` (the next windowStore() opens it again).
void closeWindowStore(const QString& dbPath);

} // namespace tb::ui
