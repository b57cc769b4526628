//! A gRPC codec that sends a message's bytes as they are, bypassing prost: for tests of what a
//! receiver does with any bytes, and for load generators that encode each request once.

use bytes::{Buf, BufMut, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Sends `Bytes` unchanged; the reply's message comes back as its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// Sends `body` to `path` (e.g. `/opentelemetry.proto.collector.metrics.v1.MetricsService/Export`)
/// at `endpoint` (a loopback URL) as one unary call with these metadata entries; the reply's
/// bytes, or the call's status (a failed connection is `UNAVAILABLE`).
pub async fn call(
    endpoint: &str,
    path: &'static str,
    body: Bytes,
    metadata: &[(&'static str, &str)],
) -> Result<Vec<u8>, Status> {
    let unavailable = |e: tonic::transport::Error| Status::unavailable(e.to_string());
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string())
        .map_err(unavailable)?
        .connect()
        .await
        .map_err(unavailable)?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(unavailable)?;
    let mut req = tonic::Request::new(body);
    for (k, v) in metadata {
        let v = v
            .parse()
            .map_err(|_| Status::invalid_argument(format!("metadata value {v:?}")))?;
        req.metadata_mut().insert(*k, v);
    }
    grpc.unary(
        req,
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(tonic::Response::into_inner)
}
