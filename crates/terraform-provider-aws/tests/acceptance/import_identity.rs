//! Resource identity (Terraform 1.12 and later): `import { identity = { ... } }` in the provider's
//! region and in another one, the identity Terraform stores with each copy, the errors for an
//! identity that is wrong or changed, and states written before identities existed.

use crate::support::go_state::{go_attributes, go_state_file};
use crate::support::{ami_copy, ami_id, cli_has, repo_root, terraform_version, Lane, Tf};
use serde_json::{json, Value as Json};

const HOME: &str = "us-east-1";
const AWAY: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";

/// Terraform 1.12 and later store an identity beside each copy; a state written before (by this
/// provider earlier, or by hashicorp/aws) gains it at its first refresh. That is a change of the
/// state, so the first `plan -refresh-only -detailed-exitcode` exits 2 although it finds no
/// difference in the copy ("No changes"); once `apply -refresh-only` has stored the identity it
/// exits 0. Older releases store no identity: nothing to do. (Terraform 1.12 to 1.14 exit 2 from
/// every refresh-only plan of an unchanged state, with or without identities: they compared
/// states with Go's reflect.DeepEqual, which Terraform 1.15.0 replaced in commit 659d5e2218.)
pub fn first_refresh_records_only_the_identity(tf: &Tf) {
    if !cli_has((1, 12, 0), "resource identity") {
        return;
    }
    let args = [
        "plan",
        "-refresh-only",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
    ];
    let first = tf.run(&args);
    assert!(first.code == 0 || first.code == 2, "{}", first.text());
    assert!(
        first.stdout.contains("No changes."),
        "only the identity may change:\n{}",
        first.text()
    );
    tf.apply_refresh_only();
    assert!(!stored_identity(tf).is_null(), "no identity stored");
    let again = tf.run(&args);
    assert!(again.stdout.contains("No changes."), "{}", again.text());
    if terraform_version() >= (1, 15, 0) {
        assert_eq!(again.code, 0, "{}", again.text());
    }
}

/// A copy made outside Terraform for one test: a source in HOME and its copy in `region`, named
/// `tfacc-identity-{what}-...`; its name, source and id.
struct Outside {
    name: String,
    source: String,
    id: String,
}

fn copy_made_outside(tf: &Tf, what: &str, region: &str) -> Outside {
    let name = format!("tfacc-identity-{what}-{}", tf.access_key.to_lowercase());
    let source = tf.make_source_ami(HOME, &format!("{name}-src"));
    let id = tf.copy_image_directly(region, &source, HOME, &name, None);
    tf.wait_available(region, &id, 30);
    Outside { name, source, id }
}

/// An `import` block by identity; `identity` is its attribute lines.
fn import_block(identity: &str) -> String {
    format!("\nimport {{\n  to       = aws_ami_copy.test\n  identity = {{\n{identity}\n  }}\n}}\n")
}

/// The identity Terraform stored for `aws_ami_copy.test`.
fn stored_identity(tf: &Tf) -> Json {
    tf.resource_entry("aws_ami_copy.test")["identity"].clone()
}

fn identity(id: &str, region: &str) -> Json {
    json!({"account_id": ACCOUNT, "id": id, "region": region})
}

/// Plans the import (only an import: on stock moto, which does not report sources, the import
/// also records the configured source in place), applies it without copying, and checks the
/// identity stored and a clean plan after it.
fn imports_cleanly(tf: &Tf, id: &str, region: &str) {
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    let changed = if tf.lane == Lane::Stock { 1 } else { 0 };
    let summary = format!("1 to import, 0 to add, {changed} to change, 0 to destroy");
    assert!(plan.stdout.contains(&summary), "{}", plan.stdout);
    tf.clear_calls();
    tf.apply();
    assert!(tf.mutating_calls().is_empty(), "{:?}", tf.mutating_calls());
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(ami_id(&r), id);
    assert_eq!(r["region"], region);
    assert_eq!(stored_identity(tf), identity(id, region));
    tf.assert_plan_empty();
}

fn import_by_identity_in_the_providers_region(lane: Lane) {
    if !cli_has((1, 12, 0), "import blocks by identity") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("identity_home_{lane:?}").to_lowercase());
    let Outside { name, source, id } = copy_made_outside(&tf, "home", HOME);
    tf.write(&format!(
        "{}{}{}",
        tf.provider_block(HOME, ""),
        import_block(&format!("    id = \"{id}\"")),
        ami_copy(&name, &source, HOME, "")
    ));
    imports_cleanly(&tf, &id, HOME);
    tf.destroy();
    assert!(tf.find_image(HOME, &id).is_none());
}

fn import_by_identity_in_another_region(lane: Lane) {
    if !cli_has((1, 12, 0), "import blocks by identity") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("identity_away_{lane:?}").to_lowercase());
    let Outside { name, source, id } = copy_made_outside(&tf, "away", AWAY);
    let identity = format!(
        "    id         = \"{id}\"\n    region     = \"{AWAY}\"\n    account_id = \"{ACCOUNT}\""
    );
    tf.write(&format!(
        "{}{}{}",
        tf.provider_block(HOME, ""),
        import_block(&identity),
        ami_copy(&name, &source, HOME, &format!("  region = \"{AWAY}\""))
    ));
    imports_cleanly(&tf, &id, AWAY);
    // It stays managed where it is: destroy deregisters it in its own region.
    tf.destroy();
    assert!(tf.find_image(AWAY, &id).is_none());
}

/// A wrong identity is refused before anything is read or imported: a malformed id or region,
/// an account other than the provider's. An identity that names a region the copy is not in
/// finds nothing there.
fn wrong_import_identities_are_errors_naming_them(lane: Lane) {
    if !cli_has((1, 12, 0), "import blocks by identity") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("identity_wrong_{lane:?}").to_lowercase());
    let Outside { name, source, id } = copy_made_outside(&tf, "wrong", HOME);
    let cases = [
        ("    id = \"ami-nothex\"".to_string(), "identity.id"),
        (
            format!("    id = \"{id}\"\n    region = \"Mars\""),
            "identity.region",
        ),
        (
            format!("    id = \"{id}\"\n    account_id = \"999999999999\""),
            "account 123456789012",
        ),
        (
            format!("    id = \"{id}\"\n    region = \"{AWAY}\""),
            "non-existent",
        ),
    ];
    tf.clear_calls();
    for (identity, expect) in cases {
        tf.write(&format!(
            "{}{}{}",
            tf.provider_block(HOME, ""),
            import_block(&identity),
            ami_copy(&name, &source, HOME, "")
        ));
        let plan = tf.run(&["plan", "-input=false", "-no-color"]);
        assert_ne!(plan.code, 0, "{identity}: {}", plan.text());
        assert!(plan.flat().contains(expect), "{identity}: {}", plan.text());
        assert!(tf.calls(Some("CopyImage")).is_empty());
    }
    assert!(tf.state_addresses().is_empty());
}

/// A copy whose identity in the state names another account than the one the provider reads it
/// with is not this object: the plan stops with an error naming both, and the state keeps it.
fn a_changed_identity_is_an_error(lane: Lane) {
    if !cli_has((1, 12, 0), "resource identity") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("identity_changed_{lane:?}").to_lowercase());
    let name = format!("tfacc-identity-changed-{}", tf.access_key.to_lowercase());
    let source = tf.make_source_ami(HOME, &format!("{name}-src"));
    tf.write(&tf.copy_config(HOME, &name, &source, ""));
    tf.apply();
    let id = ami_id(&tf.resource("aws_ami_copy.test"));
    assert_eq!(stored_identity(&tf), identity(&id, HOME));
    // The state as another account's workspace would hold it.
    let path = tf.path().join("terraform.tfstate");
    let mut state: Json =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json");
    state["resources"][0]["instances"][0]["identity"]["account_id"] = json!("999999999999");
    std::fs::write(&path, serde_json::to_vec_pretty(&state).expect("json")).expect("write state");
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(plan.code, 0, "{}", plan.text());
    let text = plan.flat();
    assert!(
        text.contains("Resource identity changed"),
        "{}",
        plan.text()
    );
    assert!(
        text.contains(r#"account_id is "123456789012" now, "999999999999" in the state"#),
        "{}",
        plan.text()
    );
    assert_eq!(tf.resource("aws_ami_copy.test")["id"], id.as_str());
    assert!(tf
        .mutating_calls()
        .iter()
        .all(|c| c["action"] != "DeregisterImage"));
    // Put back, it plans clean and is destroyed as usual.
    state["resources"][0]["instances"][0]["identity"]["account_id"] = json!(ACCOUNT);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).expect("json")).expect("write state");
    tf.assert_plan_empty();
    tf.destroy();
}

/// A state written by hashicorp/aws 5.x records no region: the copy is in the provider's region.
/// Once Terraform has stored its identity, moving the provider to another region no longer
/// loses it: it is read where it is and stays managed there.
fn a_5x_state_is_read_where_its_identity_says(lane: Lane) {
    if !cli_has((1, 12, 0), "resource identity") {
        return;
    }
    let tf = Tf::in_lane(lane, &format!("identity_5x_{lane:?}").to_lowercase());
    let Outside { name, source, id } = copy_made_outside(&tf, "5x", HOME);
    let image = tf.find_image(HOME, &id).expect("the copy");
    let mut attributes = go_attributes(&image, &source, HOME, HOME);
    attributes.as_object_mut().expect("object").remove("region");
    let mut state = go_state_file("test", attributes);
    state["resources"][0]["provider"] = json!("provider[\"registry.terraform.io/amicopy/aws\"]");
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state).expect("json"),
    )
    .expect("write state");
    tf.write(&tf.copy_config(HOME, &name, &source, ""));
    // The refresh stores the identity, in the provider's region.
    tf.apply_refresh_only();
    assert_eq!(stored_identity(&tf), identity(&id, HOME));
    // The provider moves; the copy does not.
    tf.write(&format!(
        "{}{}",
        tf.provider_block(AWAY, ""),
        ami_copy(&name, &source, HOME, "")
    ));
    tf.clear_calls();
    let plan = tf.plan_code();
    assert_eq!(
        plan.code,
        0,
        "the copy must stay as it is:\n{}",
        plan.text()
    );
    tf.apply_refresh_only();
    let r = tf.resource("aws_ami_copy.test");
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["region"], HOME);
    assert!(tf.calls(Some("CopyImage")).is_empty());
    tf.destroy();
    assert!(tf.find_image(HOME, &id).is_none());
}

/// A state written by this provider before it had an identity (the fixture was written by the
/// code at f5e85ea, see its `_comment`) plans clean, and its refresh stores the identity.
fn a_state_written_before_identities_plans_clean(lane: Lane) {
    let tf = Tf::in_lane(lane, &format!("identity_before_{lane:?}").to_lowercase());
    let name = format!("tfacc-identity-before-{}", tf.access_key.to_lowercase());
    let source = tf.make_described_source_ami(HOME, &format!("{name}-src"), "before identities");
    let id = tf.copy_image_directly(HOME, &source, HOME, &name, Some("before identities"));
    tf.wait_available(HOME, &id, 30);
    let image = tf.find_image(HOME, &id).expect("the copy");
    let snapshot = image.block_device_mappings()[0]
        .ebs()
        .and_then(|e| e.snapshot_id())
        .expect("snapshot")
        .to_string();
    let fixture = repo_root()
        .join("crates/terraform-provider-aws/tests/fixtures/amicopy_state_before_identity.json");
    let text = std::fs::read_to_string(&fixture).expect("fixture");
    let mut state: Json = serde_json::from_str(
        &text
            .replace("@ID@", &id)
            .replace("@SOURCE@", &source)
            .replace("@NAME@", &name)
            .replace("@SNAPSHOT@", &snapshot),
    )
    .expect("fixture json");
    state.as_object_mut().expect("object").remove("_comment");
    let instance = &state["resources"][0]["instances"][0];
    assert!(
        instance.get("identity").is_none(),
        "the fixture predates identities"
    );
    std::fs::write(
        tf.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state).expect("json"),
    )
    .expect("write state");
    tf.write(&tf.copy_config(
        HOME,
        &name,
        &source,
        "  description = \"before identities\"",
    ));
    tf.clear_calls();
    tf.assert_plan_empty();
    if lane == Lane::Stock {
        // The fixture was recorded on the fidelity emulator: stock moto's copy reports other
        // computed values (architecture, root device, ...), which a refresh takes first.
        tf.apply_refresh_only();
    }
    first_refresh_records_only_the_identity(&tf);
    assert!(tf.mutating_calls().is_empty());
    if cli_has((1, 12, 0), "resource identity") {
        assert_eq!(stored_identity(&tf), identity(&id, HOME));
    }
    tf.assert_plan_empty();
    tf.destroy();
    assert!(tf.find_image(HOME, &id).is_none());
}

/// The resource page's `import` blocks by identity, with a real copy's id, import it.
fn the_resource_pages_identity_examples_import(lane: Lane) {
    if !cli_has((1, 12, 0), "import blocks by identity") {
        return;
    }
    let page = std::fs::read_to_string(repo_root().join("docs/resources/ami_copy.md"))
        .expect("the resource page");
    let section = page
        .split("### Import by identity")
        .nth(1)
        .expect("an Import by identity section");
    let examples: Vec<&str> = section
        .split("```terraform\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(examples.len(), 2, "two examples: {section}");
    for (i, example) in examples.iter().enumerate() {
        let tf = Tf::in_lane(lane, &format!("identity_doc{i}_{lane:?}").to_lowercase());
        let region = if example.contains("region") {
            AWAY
        } else {
            HOME
        };
        let Outside { name, source, id } = copy_made_outside(&tf, "doc", region);
        let resource = ami_copy(&name, &source, HOME, &format!("  region = \"{region}\""))
            .replace("aws_ami_copy\" \"test\"", "aws_ami_copy\" \"example\"");
        tf.write(&format!(
            "{}\n{}\n{resource}",
            tf.provider_block(HOME, ""),
            example.replace("ami-0123456789abcdef0", &id)
        ));
        let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
        assert!(
            plan.stdout.contains("1 to import, 0 to add"),
            "{example}\n{}",
            plan.stdout
        );
        assert!(plan.stdout.contains("0 to destroy"), "{}", plan.stdout);
    }
}

both_lanes!(
    the_resource_pages_identity_examples_import,
    import_by_identity_in_the_providers_region,
    import_by_identity_in_another_region,
    wrong_import_identities_are_errors_naming_them,
    a_changed_identity_is_an_error,
    a_5x_state_is_read_where_its_identity_says,
    a_state_written_before_identities_plans_clean,
);
