//! Reading every page of an AWS list: no caller stops early, so nothing in a large account is
//! silently missed.

use crate::error::aws::AwsFailure;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Collects `items` of every page of `pages`; the first failed page fails the whole list, named
/// by `action`.
pub async fn all<P, E, T>(
    mut pages: PaginationStream<Result<P, SdkError<E, HttpResponse>>>,
    action: &'static str,
    items: impl Fn(&P) -> Vec<T>,
) -> Result<Vec<T>, AwsFailure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsFailure::from_sdk(action, &e))?;
        found.extend(items(&page));
    }
    Ok(found)
}
