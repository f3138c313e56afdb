/// routes.json's one template language, stated once for every message about a template.
///
/// Single values — topic names (`to`), ledger accounts, CRM `url`/`headers`/`body` fields and
/// email `from`/`to`/`cc` — use `{path}`; `{{path}}` is read the same. Email `subject`, `body`
/// and `html` are Mustache (`{{path}}`, sections `{{#path}}…{{/path}}`), where `{path}` around a
/// CloudEvent path is read as `{{path}}`.
public enum TemplateSyntax {
    /// Appended to `routes check`'s template errors.
    public static let hint =
        "single values (topics, accounts, addresses, CRM fields) use {path} or {{path}}; email subject/body are Mustache ({{path}}, {{#path}}…{{/path}}), where {path} works too"
}
