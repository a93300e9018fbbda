#pragma once
// Private to core/store: the schema history. PRAGMA user_version holds the
// number of migrations applied.
namespace tb::store {

class Connection;

int latestSchemaVersion();

// Applies every migration after the file's version in one transaction and
// returns the resulting version. Throws tb::Error for a file from a newer
// Tunebench or one that belongs to another application.
int migrate(Connection& connection);

} // namespace tb::store
