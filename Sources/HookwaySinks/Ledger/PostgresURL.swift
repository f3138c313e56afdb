import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, parsed into a client
/// configuration. Its description never shows the password.
struct PostgresURL: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    /// libpq's `sslmode`: `disable`, `prefer` (the default: TLS when the server offers it), or
    /// `require`/`verify-ca`/`verify-full` (TLS or fail; the last two verify the certificate).
    var sslMode: String

    init(_ text: String) throws(LedgerStoreError) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw LedgerStoreError("the ledger database is not a postgres:// URL", code: .ledgerURLInvalid)
        }
        guard let host = url.host, !host.isEmpty else { throw LedgerStoreError("the ledger database URL has no host", code: .ledgerURLInvalid) }
        self.host = host
        port = url.port ?? 5432
        username = url.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = path.isEmpty ? nil : path
        sslMode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw LedgerStoreError(
                "the ledger database URL has sslmode=\(sslMode); expected disable, prefer, require, verify-ca or verify-full",
                code: .ledgerURLInvalid
            )
        }
    }

    var configuration: PostgresClient.Configuration {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable":
            tls = .disable
        case "allow", "prefer":
            tlsConfiguration.certificateVerification = .none
            tls = .prefer(tlsConfiguration)
        case "require":
            tlsConfiguration.certificateVerification = .none
            tls = .require(tlsConfiguration)
        case "verify-ca":
            tlsConfiguration.certificateVerification = .noHostnameVerification
            tls = .require(tlsConfiguration)
        default:
            tls = .require(tlsConfiguration)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = 4
        return configuration
    }

    var description: String { "postgres://\(username)@\(host):\(port)/\(database ?? "")" }
}
