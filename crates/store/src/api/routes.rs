//! Routing: a request's method and path segments → the API it calls ([`Route`]), or ES's "no handler"
//! error. The table below is the list of endpoints the store answers.

use http::Method;

use crate::api::error::EsError;

/// An endpoint, with the parts of the path it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET|HEAD /`.
    Root,
    /// `GET /_cluster/health[/{index}]`.
    ClusterHealth { index: Option<&'a str> },
    /// `GET [/{index}]/_settings`.
    GetSettings { index: Option<&'a str> },
    /// `GET /_cat/indices[/{index}]`.
    CatIndices { index: Option<&'a str> },
    /// `POST|PUT [/{index}]/_bulk`.
    Bulk { index: Option<&'a str> },
    /// `GET|POST [/{index}]/_search`.
    Search { index: Option<&'a str> },
    /// `GET|POST [/{index}]/_msearch`.
    Msearch { index: Option<&'a str> },
    /// `GET|POST [/{index}]/_count`.
    Count { index: Option<&'a str> },
    /// `GET|POST [/{index}]/_refresh`.
    Refresh { index: Option<&'a str> },
    /// `PUT /{index}`.
    CreateIndex { index: &'a str },
    /// `DELETE /{index}`.
    DeleteIndex { index: &'a str },
    /// `HEAD /{index}`.
    IndexExists { index: &'a str },
    /// `GET /{index}`.
    GetIndex { index: &'a str },
    /// `GET [/{index}]/_mapping`.
    GetMapping { index: Option<&'a str> },
    /// `GET|POST [/{index}]/_field_caps`.
    FieldCaps { index: Option<&'a str> },
    /// `GET|HEAD /{index}/_doc/{id}`.
    GetDoc { index: &'a str, id: &'a str },
    /// `PUT|POST /{index}/_doc/{id}` (`create`: false) and `/{index}/_create/{id}` (true).
    PutDoc {
        index: &'a str,
        id: &'a str,
        create: bool,
    },
    /// `POST /{index}/_doc` (the id is generated).
    PostDoc { index: &'a str },
    /// `DELETE /{index}/_doc/{id}`.
    DeleteDoc { index: &'a str, id: &'a str },
    /// `PUT|POST /_index_template/{name}`.
    PutTemplate { name: &'a str },
    /// `GET /_index_template[/{name}]`.
    GetTemplates { name: Option<&'a str> },
    /// `HEAD /_index_template/{name}`.
    TemplateExists { name: &'a str },
    /// `DELETE /_index_template/{name}`.
    DeleteTemplate { name: &'a str },
    /// `GET /_data_stream[/{name}]`.
    GetDataStreams { name: Option<&'a str> },
    /// `PUT /_data_stream/{name}`.
    CreateDataStream { name: &'a str },
    /// `DELETE /_data_stream/{name}`.
    DeleteDataStream { name: &'a str },
    /// `POST /_aliases`.
    UpdateAliases,
    /// `PUT|POST /{index}/_alias/{name}` (or `_aliases`).
    PutAlias { index: &'a str, name: &'a str },
    /// `DELETE /{index}/_alias/{name}` (or `_aliases`).
    DeleteAlias { index: &'a str, name: &'a str },
    /// `GET|HEAD [/{index}]/_alias[/{name}]`.
    GetAliases {
        index: Option<&'a str>,
        name: Option<&'a str>,
    },
    /// `POST /{name}/_rollover`.
    Rollover { name: &'a str },
    /// `POST /{index}/_close`.
    CloseIndex { index: &'a str },
    /// `POST /{index}/_open`.
    OpenIndex { index: &'a str },
}

/// The route of `method` on the path `segments`, or ES's answer for an endpoint that does not exist: 400
/// for the methods ES routes, 405 for the others.
pub fn route<'a>(method: &Method, segments: &'a [String]) -> Result<Route<'a>, EsError> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let read = *method == Method::GET || *method == Method::POST;
    let write = *method == Method::POST || *method == Method::PUT;
    let m = |expected: Method| *method == expected;
    let found = match s.as_slice() {
        [] if m(Method::GET) || m(Method::HEAD) => Some(Route::Root),
        ["_cluster", "health"] if m(Method::GET) => Some(Route::ClusterHealth { index: None }),
        ["_cluster", "health", index] if m(Method::GET) => {
            Some(Route::ClusterHealth { index: Some(index) })
        }
        ["_settings"] if m(Method::GET) => Some(Route::GetSettings { index: None }),
        [index, "_settings"] if m(Method::GET) => Some(Route::GetSettings { index: Some(index) }),
        ["_cat", "indices", rest @ ..] if m(Method::GET) => Some(Route::CatIndices {
            index: rest.first().copied(),
        }),
        ["_index_template", name] if write => Some(Route::PutTemplate { name }),
        ["_index_template"] if m(Method::GET) => Some(Route::GetTemplates { name: None }),
        ["_index_template", name] if m(Method::GET) => {
            Some(Route::GetTemplates { name: Some(name) })
        }
        ["_index_template", name] if m(Method::HEAD) => Some(Route::TemplateExists { name }),
        ["_index_template", name] if m(Method::DELETE) => Some(Route::DeleteTemplate { name }),
        ["_data_stream"] if m(Method::GET) => Some(Route::GetDataStreams { name: None }),
        ["_data_stream", name] if m(Method::GET) => {
            Some(Route::GetDataStreams { name: Some(name) })
        }
        ["_data_stream", name] if m(Method::PUT) => Some(Route::CreateDataStream { name }),
        ["_data_stream", name] if m(Method::DELETE) => Some(Route::DeleteDataStream { name }),
        [name, "_rollover"] if m(Method::POST) => Some(Route::Rollover { name }),
        [index, "_close"] if m(Method::POST) => Some(Route::CloseIndex { index }),
        [index, "_open"] if m(Method::POST) => Some(Route::OpenIndex { index }),
        ["_aliases"] if m(Method::POST) => Some(Route::UpdateAliases),
        [index, "_alias" | "_aliases", name] if write => Some(Route::PutAlias { index, name }),
        [index, "_alias" | "_aliases", name] if m(Method::DELETE) => {
            Some(Route::DeleteAlias { index, name })
        }
        ["_alias"] if m(Method::GET) => Some(Route::GetAliases {
            index: None,
            name: None,
        }),
        ["_alias", name] if m(Method::GET) || m(Method::HEAD) => Some(Route::GetAliases {
            index: None,
            name: Some(name),
        }),
        [index, "_alias"] if m(Method::GET) => Some(Route::GetAliases {
            index: Some(index),
            name: None,
        }),
        [index, "_alias", name] if m(Method::GET) || m(Method::HEAD) => Some(Route::GetAliases {
            index: Some(index),
            name: Some(name),
        }),
        ["_bulk"] if write => Some(Route::Bulk { index: None }),
        [index, "_bulk"] if write => Some(Route::Bulk { index: Some(index) }),
        ["_search"] if read => Some(Route::Search { index: None }),
        [index, "_search"] if read => Some(Route::Search { index: Some(index) }),
        ["_msearch"] if read => Some(Route::Msearch { index: None }),
        [index, "_msearch"] if read => Some(Route::Msearch { index: Some(index) }),
        ["_count"] if read => Some(Route::Count { index: None }),
        [index, "_count"] if read => Some(Route::Count { index: Some(index) }),
        ["_refresh"] if read => Some(Route::Refresh { index: None }),
        [index, "_refresh"] if read => Some(Route::Refresh { index: Some(index) }),
        [index] if m(Method::PUT) => Some(Route::CreateIndex { index }),
        [index] if m(Method::DELETE) => Some(Route::DeleteIndex { index }),
        // `HEAD /_x` names an API, not an index.
        [index] if m(Method::HEAD) && !index.starts_with('_') => Some(Route::IndexExists { index }),
        [index] if m(Method::GET) && !index.starts_with('_') => Some(Route::GetIndex { index }),
        ["_mapping"] if m(Method::GET) => Some(Route::GetMapping { index: None }),
        [index, "_mapping"] if m(Method::GET) => Some(Route::GetMapping { index: Some(index) }),
        ["_field_caps"] if read => Some(Route::FieldCaps { index: None }),
        [index, "_field_caps"] if read => Some(Route::FieldCaps { index: Some(index) }),
        [index, "_doc", id] if m(Method::GET) || m(Method::HEAD) => {
            Some(Route::GetDoc { index, id })
        }
        [index, endpoint @ ("_doc" | "_create"), id] if write => Some(Route::PutDoc {
            index,
            id,
            create: *endpoint == "_create",
        }),
        [index, "_doc"] if m(Method::POST) => Some(Route::PostDoc { index }),
        [index, "_doc", id] if m(Method::DELETE) => Some(Route::DeleteDoc { index, id }),
        _ => None,
    };
    found.ok_or_else(|| no_handler(method, segments))
}

/// ES's answer to a path and method no endpoint takes.
fn no_handler(method: &Method, segments: &[String]) -> EsError {
    let routed = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
    ];
    EsError::new(
        if routed.contains(method) { 400 } else { 405 },
        "illegal_argument_exception",
        format!(
            "no handler found for uri [/{}] and method [{method}]",
            segments.join("/")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route's debug form, or the error's status and reason.
    type Routed = Result<String, (u16, String)>;

    fn routed(method: &str, path: &str) -> Routed {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        route(&method, &segments)
            .map(|r| format!("{r:?}"))
            .map_err(|e| (e.status, e.reason))
    }

    /// (method, path, route or (status, reason))
    #[test]
    fn routes() {
        let ok = |s: &str| Ok(s.to_string());
        let cases: &[(&str, &str, Routed)] = &[
            ("GET", "/", ok("Root")),
            ("HEAD", "/", ok("Root")),
            (
                "GET",
                "/_cluster/health/logs",
                ok(r#"ClusterHealth { index: Some("logs") }"#),
            ),
            (
                "GET",
                "/logs/_settings",
                ok(r#"GetSettings { index: Some("logs") }"#),
            ),
            ("GET", "/_cat/indices", ok("CatIndices { index: None }")),
            (
                "GET",
                "/_cat/indices/a-*",
                ok(r#"CatIndices { index: Some("a-*") }"#),
            ),
            ("POST", "/_bulk", ok("Bulk { index: None }")),
            ("PUT", "/logs/_bulk", ok(r#"Bulk { index: Some("logs") }"#)),
            ("GET", "/_search", ok("Search { index: None }")),
            (
                "POST",
                "/a,b/_search",
                ok(r#"Search { index: Some("a,b") }"#),
            ),
            (
                "GET",
                "/logs/_msearch",
                ok(r#"Msearch { index: Some("logs") }"#),
            ),
            ("POST", "/_count", ok("Count { index: None }")),
            (
                "POST",
                "/logs/_refresh",
                ok(r#"Refresh { index: Some("logs") }"#),
            ),
            ("PUT", "/logs", ok(r#"CreateIndex { index: "logs" }"#)),
            ("DELETE", "/logs", ok(r#"DeleteIndex { index: "logs" }"#)),
            ("HEAD", "/logs", ok(r#"IndexExists { index: "logs" }"#)),
            ("GET", "/logs", ok(r#"GetIndex { index: "logs" }"#)),
            (
                "GET",
                "/logs/_mapping",
                ok(r#"GetMapping { index: Some("logs") }"#),
            ),
            ("GET", "/_mapping", ok("GetMapping { index: None }")),
            (
                "POST",
                "/logs-*/_field_caps",
                ok(r#"FieldCaps { index: Some("logs-*") }"#),
            ),
            (
                "GET",
                "/logs/_doc/1",
                ok(r#"GetDoc { index: "logs", id: "1" }"#),
            ),
            (
                "HEAD",
                "/logs/_doc/1",
                ok(r#"GetDoc { index: "logs", id: "1" }"#),
            ),
            (
                "PUT",
                "/logs/_doc/1",
                ok(r#"PutDoc { index: "logs", id: "1", create: false }"#),
            ),
            (
                "POST",
                "/logs/_create/1",
                ok(r#"PutDoc { index: "logs", id: "1", create: true }"#),
            ),
            ("POST", "/logs/_doc", ok(r#"PostDoc { index: "logs" }"#)),
            (
                "DELETE",
                "/logs/_doc/1",
                ok(r#"DeleteDoc { index: "logs", id: "1" }"#),
            ),
            (
                "PUT",
                "/_index_template/t",
                ok(r#"PutTemplate { name: "t" }"#),
            ),
            ("GET", "/_index_template", ok("GetTemplates { name: None }")),
            (
                "DELETE",
                "/_index_template/t",
                ok(r#"DeleteTemplate { name: "t" }"#),
            ),
            (
                "GET",
                "/_data_stream/logs-*",
                ok(r#"GetDataStreams { name: Some("logs-*") }"#),
            ),
            (
                "PUT",
                "/_data_stream/logs-a-b",
                ok(r#"CreateDataStream { name: "logs-a-b" }"#),
            ),
            (
                "DELETE",
                "/_data_stream/logs-a-b",
                ok(r#"DeleteDataStream { name: "logs-a-b" }"#),
            ),
            ("POST", "/_aliases", ok("UpdateAliases")),
            (
                "PUT",
                "/logs/_alias/current",
                ok(r#"PutAlias { index: "logs", name: "current" }"#),
            ),
            (
                "DELETE",
                "/logs/_aliases/current",
                ok(r#"DeleteAlias { index: "logs", name: "current" }"#),
            ),
            (
                "HEAD",
                "/_alias/current",
                ok(r#"GetAliases { index: None, name: Some("current") }"#),
            ),
            (
                "POST",
                "/logs-a-b/_rollover",
                ok(r#"Rollover { name: "logs-a-b" }"#),
            ),
            (
                "HEAD",
                "/_x",
                Err((
                    400,
                    "no handler found for uri [/_x] and method [HEAD]".into(),
                )),
            ),
            (
                "GET",
                "/_nodes",
                Err((
                    400,
                    "no handler found for uri [/_nodes] and method [GET]".into(),
                )),
            ),
            // As in ES, a name the index APIs then refuse.
            (
                "DELETE",
                "/_search",
                ok(r#"DeleteIndex { index: "_search" }"#),
            ),
            (
                "POST",
                "/logs",
                Err((
                    400,
                    "no handler found for uri [/logs] and method [POST]".into(),
                )),
            ),
            (
                "PATCH",
                "/logs",
                Err((
                    405,
                    "no handler found for uri [/logs] and method [PATCH]".into(),
                )),
            ),
        ];
        for (method, path, expected) in cases {
            assert_eq!(&routed(method, path), expected, "{method} {path}");
        }
    }
}
