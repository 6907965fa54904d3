//! go-plugin's side services every plugin serves beside its own: health, controller (shutdown),
//! stdio and broker. Terraform calls all of them; none does provider work.

use std::pin::Pin;

use futures::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::proto::health::health_server::Health;
use crate::proto::health::{HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus};
use crate::proto::plugin::grpc_broker_server::GrpcBroker;
use crate::proto::plugin::grpc_controller_server::GrpcController;
use crate::proto::plugin::grpc_stdio_server::GrpcStdio;
use crate::proto::plugin::{ConnInfo, Empty, StdioData};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Answers go-plugin's health pings: the plugin is serving while the process runs.
pub struct HealthService;

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(&self, _request: Request<HealthCheckRequest>) -> Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse { status: ServingStatus::Serving as i32 }))
    }

    type WatchStream = BoxStream<HealthCheckResponse>;

    async fn watch(&self, _request: Request<HealthCheckRequest>) -> Result<Response<Self::WatchStream>, Status> {
        let first = futures::stream::once(async { Ok(HealthCheckResponse { status: ServingStatus::Serving as i32 }) });
        Ok(Response::new(Box::pin(futures::StreamExt::chain(first, futures::stream::pending()))))
    }
}

/// Terraform's request to end the plugin: it notifies the serve loop, which exits the process.
pub struct ControllerService {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for ControllerService {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        crate::log::debug("GRPCController.Shutdown received: stopping the plugin");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// Stdout and stderr reach Terraform through the process's own pipes, so the stdio stream stays
/// open and carries nothing.
pub struct StdioService;

#[tonic::async_trait]
impl GrpcStdio for StdioService {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(&self, _request: Request<()>) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::pending())))
    }
}

/// Terraform opens the broker stream but brokers no services; the stream is drained and kept open.
pub struct BrokerService;

#[tonic::async_trait]
impl GrpcBroker for BrokerService {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(&self, request: Request<Streaming<ConnInfo>>) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = request.into_inner();
        tokio::spawn(async move { while let Ok(Some(_)) = incoming.message().await {} });
        Ok(Response::new(Box::pin(futures::stream::pending())))
    }
}
