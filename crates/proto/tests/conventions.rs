//! The API contract follows the conventions in STYLE.md (buf style, Google
//! AIPs). Each rule is checked against the descriptor set the servers publish.

use prost::Message;
use prost_types::{
    DescriptorProto, FileDescriptorProto, FileDescriptorSet, field_descriptor_proto::Type,
};

fn treaty_files() -> Vec<FileDescriptorProto> {
    let set = FileDescriptorSet::decode(treaty_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set decodes");
    let files: Vec<_> = set
        .file
        .into_iter()
        .filter(|f| f.package().starts_with("treaty."))
        .collect();
    assert_eq!(files.len(), 4, "one file per service package");
    files
}

fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn message<'a>(file: &'a FileDescriptorProto, type_name: &str) -> &'a DescriptorProto {
    let short = type_name.rsplit('.').next().unwrap_or(type_name);
    file.message_type
        .iter()
        .find(|m| m.name() == short)
        .unwrap_or_else(|| panic!("{type_name} is defined in {}", file.name()))
}

fn is_read(rpc: &str) -> bool {
    ["Get", "List", "Subscribe", "Tail", "Verify"]
        .iter()
        .any(|p| rpc.starts_with(p))
}

#[test]
fn every_package_is_versioned_and_lives_in_its_own_folder() {
    for file in treaty_files() {
        let package = file.package();
        let parts: Vec<_> = package.split('.').collect();
        assert_eq!(parts.len(), 3, "{package} is treaty.<service>.v1");
        assert_eq!(parts[0], "treaty");
        assert!(
            parts[2].starts_with('v') && parts[2][1..].parse::<u32>().is_ok(),
            "{package} ends in a version"
        );
        assert!(
            file.name()
                .starts_with(&format!("treaty/{}/{}/", parts[1], parts[2])),
            "{} is in its package folder",
            file.name()
        );
    }
}

#[test]
fn every_enum_starts_with_an_unspecified_zero_and_prefixes_its_values() {
    let mut enums = 0;
    for file in treaty_files() {
        let nested = file.message_type.iter().flat_map(|m| m.enum_type.iter());
        for e in file.enum_type.iter().chain(nested) {
            enums += 1;
            let prefix = upper_snake(e.name());
            let first = &e.value[0];
            assert_eq!(first.number(), 0, "{} starts at 0", e.name());
            assert_eq!(
                first.name(),
                format!("{prefix}_UNSPECIFIED"),
                "{} zero value",
                e.name()
            );
            for v in &e.value {
                assert!(
                    v.name().starts_with(&format!("{prefix}_")),
                    "{} is prefixed with {prefix}_",
                    v.name()
                );
            }
        }
    }
    assert!(enums > 5, "the enums were found");
}

#[test]
fn every_rpc_has_its_own_request_and_response_message() {
    let mut rpcs = 0;
    for file in treaty_files() {
        let mut seen = std::collections::HashSet::new();
        for service in &file.service {
            assert!(
                service.name().ends_with("Service"),
                "{} is named <Name>Service",
                service.name()
            );
            for method in &service.method {
                rpcs += 1;
                let package = format!(".{}.", file.package());
                assert_eq!(
                    method.input_type(),
                    format!("{package}{}Request", method.name())
                );
                assert_eq!(
                    method.output_type(),
                    format!("{package}{}Response", method.name())
                );
                assert!(
                    seen.insert(method.input_type().to_owned()),
                    "{} reused",
                    method.input_type()
                );
                assert!(
                    seen.insert(method.output_type().to_owned()),
                    "{} reused",
                    method.output_type()
                );
            }
        }
    }
    // DESIGN.md §3's RPCs, plus notification's RegisterRecipientKey: the key a recipient
    // signs its receipts with must be registered for it somewhere the log records.
    assert_eq!(
        rpcs,
        15 + 10 + (5 + 1) + 10,
        "every RPC in DESIGN.md §3 is in the contract"
    );
}

#[test]
fn every_mutation_takes_a_request_id() {
    for file in treaty_files() {
        for method in file.service.iter().flat_map(|s| s.method.iter()) {
            if is_read(method.name()) {
                continue;
            }
            let request = message(&file, method.input_type());
            let field = request.field.iter().find(|f| f.name() == "request_id");
            let field = field.unwrap_or_else(|| panic!("{} has request_id", request.name()));
            assert_eq!(
                field.number(),
                1,
                "{}.request_id is field 1",
                request.name()
            );
            assert_eq!(field.r#type(), Type::String);
        }
    }
}

#[test]
fn every_list_is_paged() {
    for file in treaty_files() {
        for method in file.service.iter().flat_map(|s| s.method.iter()) {
            if !(method.name().starts_with("List") || method.name() == "GetHistory") {
                continue;
            }
            let request = message(&file, method.input_type());
            let response = message(&file, method.output_type());
            for (m, field, ty) in [
                (request, "page_size", Type::Int32),
                (request, "page_token", Type::String),
                (response, "next_page_token", Type::String),
            ] {
                let found = m.field.iter().find(|f| f.name() == field);
                assert_eq!(found.map(|f| f.r#type()), Some(ty), "{}.{field}", m.name());
            }
        }
    }
}

#[test]
fn legal_dates_are_civil_dates_and_record_times_are_timestamps() {
    let mut checked = 0;
    for file in treaty_files() {
        for m in &file.message_type {
            for f in &m.field {
                if f.name().ends_with("_on") || f.name() == "as_of" {
                    checked += 1;
                    assert_eq!(
                        f.type_name(),
                        ".google.type.Date",
                        "{}.{} is a civil date",
                        m.name(),
                        f.name()
                    );
                }
                if f.name().ends_with("_at") {
                    checked += 1;
                    assert_eq!(
                        f.type_name(),
                        ".google.protobuf.Timestamp",
                        "{}.{} is an instant",
                        m.name(),
                        f.name()
                    );
                }
            }
        }
    }
    assert!(checked > 20, "the date fields were found");
}

#[test]
fn resources_carry_names() {
    for file in treaty_files() {
        for m in &file.message_type {
            let is_resource = [
                "Treaty",
                "State",
                "Membership",
                "ArmedConflict",
                "Withdrawal",
                "Notice",
                "Entry",
            ]
            .contains(&m.name());
            if is_resource {
                let name = m.field.iter().find(|f| f.name() == "name");
                assert_eq!(
                    name.map(|f| f.number()),
                    Some(1),
                    "{} has a resource name as field 1",
                    m.name()
                );
            }
        }
    }
}
