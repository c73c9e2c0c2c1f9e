//! The OpenAPI 3.1 document (generated with utoipa from the handlers) and the `/docs` page that renders
//! it. The page is one self-contained HTML file (`assets/docs.html`, the spec embedded with
//! utoipa-scalar's templating): no script, style or font comes from outside the server, so the
//! reference works on a closed network.

use std::sync::Arc;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_scalar::Scalar;

use super::dto;
use super::error::ErrorBody;
use super::{handlers, imports};

/// The docs page; `$title` and `$spec` are filled in at start-up.
const DOCS_TEMPLATE: &str = include_str!("assets/docs.html");

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "a token from `shuanggao token create --role ROLE`; roles are department, \
                         zone:<zone_id> and university:<university_id>",
                    ))
                    .build(),
            ),
        );
    }
}

/// A view that flattens a closed schema (one with `additionalProperties: false`, as every record of the
/// dataset contract is) comes out of utoipa as `allOf` of that schema and the view's own fields, which no
/// value can satisfy. Each such `allOf` becomes the one closed object it means: the referenced object
/// with the other items' properties and requirements added.
struct MergeFlattened;

impl Modify for MergeFlattened {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let object_of = |item: &RefOr<Schema>| match item {
            RefOr::Ref(r) => {
                let name = r.ref_location.trim_start_matches("#/components/schemas/");
                match components.schemas.get(name) {
                    Some(RefOr::T(Schema::Object(o))) => Some(o.clone()),
                    _ => None,
                }
            }
            RefOr::T(Schema::Object(o)) => Some(o.clone()),
            _ => None,
        };
        let mut merged = Vec::new();
        for (name, schema) in &components.schemas {
            let RefOr::T(Schema::AllOf(all)) = schema else {
                continue;
            };
            let Some(objects) = all.items.iter().map(object_of).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let mut objects = objects.into_iter();
            let Some(mut object) = objects.next() else {
                continue;
            };
            for other in objects {
                object.properties.extend(other.properties);
                object.required.extend(other.required);
            }
            object.description.clone_from(&all.description);
            merged.push((name.clone(), object));
        }
        for (name, object) in merged {
            components
                .schemas
                .insert(name, RefOr::T(Schema::Object(object)));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shuanggao",
        description = "Matchmaking between Jiangsu high-tech zones and universities (双高协同): \
                       catalog, rankings with explanations, pairing proposals with five-in-one bundles, \
                       the department's review, outcomes of approved pairings and their verification, exports and \
                       the programme dashboard with its 2027 targets. \
                       Errors are `{\"code\", \"message\", \"field\"?}` with stable codes.",
    ),
    paths(
        handlers::healthz,
        handlers::readyz,
        handlers::metrics,
        handlers::openapi_json,
        handlers::docs,
        handlers::me,
        handlers::tracks,
        handlers::zones,
        handlers::zone,
        handlers::universities,
        handlers::university,
        handlers::team,
        handlers::demand,
        handlers::zone_candidates,
        handlers::university_demands,
        handlers::demand_teams,
        handlers::team_demands,
        handlers::university_conversions,
        handlers::zone_transferable_patents,
        handlers::search,
        handlers::create_team,
        handlers::update_team,
        handlers::delete_team,
        handlers::create_demand,
        handlers::update_demand,
        handlers::delete_demand,
        handlers::pairings,
        handlers::pairing,
        handlers::review,
        handlers::history,
        handlers::comments,
        handlers::comment,
        handlers::record_outcome,
        handlers::pairing_outcomes,
        handlers::outcomes,
        handlers::outcome_report,
        handlers::outcome,
        handlers::verify_outcome,
        handlers::create_proposal,
        handlers::proposals,
        handlers::proposal_preview,
        handlers::proposal,
        handlers::revise_proposal,
        handlers::export_proposal,
        handlers::dashboard,
        imports::import_template,
        imports::import,
    ),
    components(schemas(ErrorBody, dto::Health, crate::app::BatchPairing)),
    modifiers(&BearerAuth, &MergeFlattened),
    tags(
        (name = "operations", description = "health, metrics and documentation (no token)"),
        (name = "catalog", description = "tracks, zones, universities, teams and demands"),
        (name = "matching", description = "rankings with explanations, and search"),
        (name = "writes", description = "adding, changing and deleting teams and demands"),
        (name = "pairings", description = "pairings, the review workflow and comments"),
        (name = "outcomes", description = "what approved pairings achieve (contracts, payments, \
                                            conversions, platforms, talents, students, projects), and \
                                            the department's verification"),
        (name = "proposals", description = "pairing proposals (background jobs), re-proposals, \
                                             exports and the programme dashboard"),
        (name = "imports", description = "spreadsheet imports of demands, teams and outcomes, and their templates"),
    )
)]
pub struct ApiDoc;

/// The rendered OpenAPI document and docs page, built once at start-up.
#[derive(Debug, Clone)]
pub struct Docs {
    pub openapi_json: Arc<String>,
    pub html: Arc<String>,
}

impl Docs {
    pub fn build() -> Docs {
        let mut openapi = ApiDoc::openapi();
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let html = Scalar::new(openapi.clone())
            .title("shuanggao API")
            .custom_html(DOCS_TEMPLATE)
            .to_html();
        let json = serde_json::to_string_pretty(&openapi).unwrap_or_else(|_| String::from("{}"));
        Docs {
            openapi_json: Arc::new(json),
            html: Arc::new(html),
        }
    }
}
