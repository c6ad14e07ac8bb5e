//! Reading lists back through the public API, page by page: what the CLI, the
//! demo and the benchmark show of a suite.

use tonic::Status;
use tonic::transport::Channel;
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;

/// Every item of a paged list: `page(token)` fetches one page and returns its
/// items and the next page token (empty at the end).
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), Status>>,
{
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = page(token).await?;
        out.extend(items);
        if next.is_empty() {
            return Ok(out);
        }
        token = next;
    }
}

/// Every member of a treaty that is a party as of a date (today when `None`), all pages.
pub async fn parties_as_of(
    channel: Channel,
    treaty: &str,
    as_of: Option<jiff::civil::Date>,
) -> Result<Vec<reg::Membership>, Status> {
    let client = RegistryServiceClient::new(channel);
    all_pages(|page_token| {
        let mut client = client.clone();
        let request = reg::ListMembersRequest {
            treaty: treaty.to_owned(),
            as_of: as_of.map(date_to_wire),
            parties_only: true,
            page_size: 500,
            page_token,
            ..Default::default()
        };
        async move {
            let page = client.list_members(request).await?.into_inner();
            Ok((page.members, page.next_page_token))
        }
    })
    .await
}
