//! Generated protocol types and gRPC stubs (from `proto/*.proto`, built by `build.rs`).
//!
//! * [`tfplugin6`]: Terraform plugin protocol 6 (the `Provider` service).
//! * [`plugin`]: go-plugin's controller, stdio and broker services.
//! * [`health`]: the standard `grpc.health.v1` health service.
//!
//! Each module holds the prost messages, a `*_server` module (trait + tonic service)
//! and a `*_client` module per service. Do not edit; change the `.proto` files instead.

/// Terraform plugin protocol 6 (package `tfplugin6`).
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    rustdoc::all
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's internal services (package `plugin`).
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    rustdoc::all
)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// gRPC health checking (package `grpc.health.v1`).
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::unwrap_used,
    rustdoc::all
)]
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}

#[cfg(test)]
mod tests {
    //! Wire checks: a wrong field number would still compile, so pin a few by their bytes.

    use super::{health, plugin, tfplugin6 as tf};
    use prost::Message;

    /// Protobuf key byte for a field number and wire type (valid for field numbers < 16).
    fn key(field: u8, wire_type: u8) -> u8 {
        (field << 3) | wire_type
    }
    const VARINT: u8 = 0;
    const LEN: u8 = 2;

    #[test]
    fn proto_dynamic_value_fields() {
        let v = tf::DynamicValue {
            msgpack: vec![1],
            json: vec![],
        };
        assert_eq!(v.encode_to_vec(), [0x0a, 0x01, 0x01]);
        let v = tf::DynamicValue {
            msgpack: vec![],
            json: b"{}".to_vec(),
        };
        assert_eq!(v.encode_to_vec(), [key(2, LEN), 0x02, b'{', b'}']);
    }

    #[test]
    fn proto_diagnostic_fields() {
        let d = tf::Diagnostic {
            severity: tf::diagnostic::Severity::Warning as i32,
            summary: "s".into(),
            detail: "d".into(),
            attribute: Some(tf::AttributePath {
                steps: vec![tf::attribute_path::Step {
                    selector: Some(tf::attribute_path::step::Selector::ElementKeyInt(7)),
                }],
            }),
        };
        #[rustfmt::skip]
        let expected = [
            key(1, VARINT), 2,      // severity = WARNING (2)
            key(2, LEN), 1, b's',   // summary
            key(3, LEN), 1, b'd',   // detail
            key(4, LEN), 4,         // attribute: AttributePath
            key(1, LEN), 2,         //   steps[0]: Step
            key(3, VARINT), 7,      //     element_key_int
        ];
        assert_eq!(d.encode_to_vec(), expected);
    }

    #[test]
    fn proto_plan_response_requires_replace_is_field_2() {
        let r = tf::plan_resource_change::Response {
            requires_replace: vec![tf::AttributePath {
                steps: vec![tf::attribute_path::Step {
                    selector: Some(tf::attribute_path::step::Selector::AttributeName(
                        "a".into(),
                    )),
                }],
            }],
            ..Default::default()
        };
        assert_eq!(
            r.encode_to_vec(),
            [key(2, LEN), 5, key(1, LEN), 3, key(1, LEN), 1, b'a']
        );
        let r = tf::plan_resource_change::Response {
            legacy_type_system: true,
            ..Default::default()
        };
        assert_eq!(r.encode_to_vec(), [key(5, VARINT), 1]);
    }

    #[test]
    fn proto_irregular_field_numbers() {
        // ValidateProviderConfig.Response.diagnostics is field 2, not 1.
        let r = tf::validate_provider_config::Response {
            diagnostics: vec![tf::Diagnostic::default()],
        };
        assert_eq!(r.encode_to_vec(), [key(2, LEN), 0]);
        // ApplyResourceChange.Response: private = 2, diagnostics = 3.
        let r = tf::apply_resource_change::Response {
            private: vec![9],
            diagnostics: vec![tf::Diagnostic::default()],
            ..Default::default()
        };
        assert_eq!(r.encode_to_vec(), [key(2, LEN), 1, 9, key(3, LEN), 0]);
        // Schema.Attribute.nested_type is field 10, write_only is field 11.
        let a = tf::schema::Attribute {
            nested_type: Some(tf::schema::Object::default()),
            write_only: true,
            ..Default::default()
        };
        assert_eq!(a.encode_to_vec(), [0x52, 0, 0x58, 1]);
        // Schema.Object.nesting is field 3 (2 is unused).
        let o = tf::schema::Object {
            nesting: tf::schema::object::NestingMode::List as i32,
            ..Default::default()
        };
        assert_eq!(o.encode_to_vec(), [key(3, VARINT), 2]);
        // GetProviderSchema.Response: functions = 7, ephemeral_resource_schemas = 8.
        let mut r = tf::get_provider_schema::Response::default();
        r.functions.insert(String::new(), tf::Function::default());
        assert_eq!(r.encode_to_vec(), [key(7, LEN), 0]);
        let mut r = tf::get_provider_schema::Response::default();
        r.ephemeral_resource_schemas
            .insert(String::new(), tf::Schema::default());
        assert_eq!(r.encode_to_vec(), [key(8, LEN), 0]);
        // ServerCapabilities.move_resource_state = 3.
        let c = tf::ServerCapabilities {
            move_resource_state: true,
            ..Default::default()
        };
        assert_eq!(c.encode_to_vec(), [key(3, VARINT), 1]);
        // NestedBlock nesting GROUP = 5.
        let b = tf::schema::NestedBlock {
            nesting: tf::schema::nested_block::NestingMode::Group as i32,
            ..Default::default()
        };
        assert_eq!(b.encode_to_vec(), [key(3, VARINT), 5]);
    }

    #[test]
    fn proto_decodes_what_terraform_sends() {
        // PlanResourceChange.Request with type_name = "x" and
        // client_capabilities { deferral_allowed = true } (field 7).
        let bytes = [key(1, LEN), 1, b'x', key(7, LEN), 2, key(1, VARINT), 1];
        let req = tf::plan_resource_change::Request::decode(&bytes[..]).expect("decodes");
        assert_eq!(req.type_name, "x");
        assert!(
            req.client_capabilities
                .expect("capabilities")
                .deferral_allowed
        );
        // MoveResourceState.Request.source_private is field 6.
        let bytes = [key(6, LEN), 1, 4];
        let req = tf::move_resource_state::Request::decode(&bytes[..]).expect("decodes");
        assert_eq!(req.source_private, [4]);
    }

    #[test]
    fn proto_go_plugin_and_health_fields() {
        let c = plugin::ConnInfo {
            service_id: 1,
            network: String::new(),
            address: String::new(),
            knock: Some(plugin::conn_info::Knock {
                knock: false,
                ack: true,
                error: String::new(),
            }),
        };
        assert_eq!(
            c.encode_to_vec(),
            [key(1, VARINT), 1, key(4, LEN), 2, key(2, VARINT), 1]
        );
        let s = plugin::StdioData {
            channel: plugin::stdio_data::Channel::Stderr as i32,
            data: vec![7],
        };
        assert_eq!(s.encode_to_vec(), [key(1, VARINT), 2, key(2, LEN), 1, 7]);
        let h = health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        };
        assert_eq!(h.encode_to_vec(), [key(1, VARINT), 1]);
    }

    #[test]
    fn proto_service_names() {
        // tonic builds the HTTP/2 path "/<package>.<Service>/<Method>" from these;
        // Terraform's go-plugin client dials exactly these names.
        assert_eq!(tf::provider_server::SERVICE_NAME, "tfplugin6.Provider");
        assert_eq!(
            plugin::grpc_controller_server::SERVICE_NAME,
            "plugin.GRPCController"
        );
        assert_eq!(plugin::grpc_stdio_server::SERVICE_NAME, "plugin.GRPCStdio");
        assert_eq!(
            plugin::grpc_broker_server::SERVICE_NAME,
            "plugin.GRPCBroker"
        );
        assert_eq!(health::health_server::SERVICE_NAME, "grpc.health.v1.Health");
    }
}
