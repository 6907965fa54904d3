//! Instance prices from AWS's own data: the On-Demand hourly price from the Price List Query API
//! (`pricing:GetProducts`) and the spot price history from EC2 (`ec2:DescribeSpotPriceHistory`),
//! each asked once per instance type and region in a provider process however many estimates
//! name the type (a plan is one provider process).
//!
//! - GetProducts is filtered to Linux, shared tenancy, no pre-installed software, capacity
//!   status Used (not reservations), RunInstances, in the estimate's region (`regionCode`); it
//!   pages to the end. Each `PriceList` entry is a JSON document in a string: the product's
//!   attributes under `product.attributes`, its prices under `terms.OnDemand.<offer>.
//!   priceDimensions.<rate>.pricePerUnit.USD` with `unit` `Hrs`. An entry we cannot read, or
//!   products disagreeing on the price, are errors — a wrong price is worse than none.
//! - DescribeSpotPriceHistory asks for `Linux/UNIX` and `Linux/UNIX (Amazon VPC)` over the
//!   lookback window ending now and pages to the end (AWS also returns the change in force at
//!   the window's start).
//! - The Price List API has endpoints in a few regions only; `pricing_region` picks the one the
//!   client signs for (docs/design/cost-estimate.md).
//! - Results are kept for the life of the process: concurrent askers of one key share one call
//!   (a `OnceCell` per key); a failed call is not kept, so the next asker tries again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_types::region::Region;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::error_text;
use crate::cost::SpotRecord;

/// Regions with a Price List Query API endpoint (botocore 1.44.8 data/endpoints.json, service
/// `api.pricing`): the client signs for the provider's region when it is one of them.
pub const PRICING_REGIONS: [&str; 3] = ["us-east-1", "eu-central-1", "ap-south-1"];

/// Records per DescribeSpotPriceHistory page (the API allows 1 to 1000).
const SPOT_PAGE_SIZE: i32 = 100;

/// Products per GetProducts page (the API's most).
const PRODUCTS_PAGE_SIZE: i32 = 100;

/// The product descriptions of Linux spot prices (EC2 API: RIProductDescription).
const LINUX_SPOT_PRODUCTS: [&str; 2] = ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"];

/// The region the Price List client signs for, given the provider's region: that region when it
/// has an endpoint, `cn-northwest-1` in China, else `us-east-1`.
pub fn pricing_region(provider_region: &str) -> &str {
    if PRICING_REGIONS.contains(&provider_region) {
        provider_region
    } else if provider_region.starts_with("cn-") {
        "cn-northwest-1"
    } else {
        "us-east-1"
    }
}

/// Why a price could not be had. Each names the instance type and region.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// GetProducts failed.
    #[error("querying the AWS Price List for {instance_type} in {region}: {message}")]
    PriceList { instance_type: String, region: String, message: String },
    /// The Price List has no On-Demand Linux price for the type in the region.
    #[error("the AWS Price List has no On-Demand price for {instance_type} (Linux, shared tenancy, no pre-installed software) in {region}")]
    NoOnDemandPrice { instance_type: String, region: String },
    /// Several products matched with different prices.
    #[error("the AWS Price List has {count} different On-Demand prices for {instance_type} in {region} (USD {prices}); cannot tell which applies")]
    AmbiguousOnDemandPrice { instance_type: String, region: String, count: usize, prices: String },
    /// A price list entry that is not in the documented format.
    #[error("reading the AWS Price List entry for {instance_type} in {region}: {reason}")]
    Format { instance_type: String, region: String, reason: String },
    /// DescribeSpotPriceHistory failed.
    #[error("reading the spot price history of {instance_type} in {region}: {message}")]
    SpotHistory { instance_type: String, region: String, message: String },
    /// No spot price record in the window.
    #[error("EC2 has no Linux spot price history for {instance_type} in {region} over the last {hours} hours (is the type offered as Spot there?)")]
    NoSpotPrice { instance_type: String, region: String, hours: u32 },
}

/// The part of a Price List entry the On-Demand price is read from.
#[derive(Deserialize)]
struct PriceListEntry {
    terms: Option<Terms>,
}

#[derive(Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: HashMap<String, Term>,
}

#[derive(Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: HashMap<String, PriceDimension>,
}

#[derive(Deserialize)]
struct PriceDimension {
    unit: Option<String>,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: HashMap<String, String>,
}

/// The hourly USD prices in one Price List entry (a JSON document in a string).
///
/// # Errors
/// The text is not JSON of the Price List shape, or a USD price is not a number.
pub fn hourly_prices_of_entry(entry: &str) -> Result<Vec<f64>, String> {
    let parsed: PriceListEntry = serde_json::from_str(entry).map_err(|e| format!("not a Price List product ({e})"))?;
    let mut prices = Vec::new();
    for term in parsed.terms.map(|t| t.on_demand).unwrap_or_default().values() {
        for dimension in term.price_dimensions.values() {
            if dimension.unit.as_deref() != Some("Hrs") {
                continue;
            }
            if let Some(usd) = dimension.price_per_unit.get("USD") {
                let price: f64 = usd.trim().parse().map_err(|_| format!("the USD price {usd:?} is not a number"))?;
                if !price.is_finite() || price < 0.0 {
                    return Err(format!("the USD price {usd:?} is not a price"));
                }
                prices.push(price);
            }
        }
    }
    Ok(prices)
}

/// The On-Demand price among the entries' prices: the one nonzero price they agree on.
fn one_price(instance_type: &str, region: &str, entries: &[String]) -> Result<f64, PriceError> {
    let mut prices: Vec<f64> = Vec::new();
    for entry in entries {
        let found = hourly_prices_of_entry(entry).map_err(|reason| PriceError::Format { instance_type: instance_type.into(), region: region.into(), reason })?;
        for price in found {
            if price > 0.0 && !prices.iter().any(|p| (p - price).abs() < 1e-12) {
                prices.push(price);
            }
        }
    }
    match prices.as_slice() {
        [] => Err(PriceError::NoOnDemandPrice { instance_type: instance_type.into(), region: region.into() }),
        [price] => Ok(*price),
        many => Err(PriceError::AmbiguousOnDemandPrice {
            instance_type: instance_type.into(),
            region: region.into(),
            count: many.len(),
            prices: many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        }),
    }
}

fn term_match(field: &str, value: &str) -> Option<aws_sdk_pricing::types::Filter> {
    aws_sdk_pricing::types::Filter::builder().r#type(aws_sdk_pricing::types::FilterType::TermMatch).field(field).value(value).build().ok()
}

/// The On-Demand Linux hourly price of `instance_type` in `region`, from GetProducts (all pages).
///
/// # Errors
/// The call fails, no product or several prices match, an entry cannot be read.
pub async fn on_demand_price(client: &aws_sdk_pricing::Client, region: &str, instance_type: &str) -> Result<f64, PriceError> {
    let filters: Vec<aws_sdk_pricing::types::Filter> = [
        ("instanceType", instance_type),
        ("regionCode", region),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
        ("operation", "RunInstances"),
    ]
    .iter()
    .filter_map(|(field, value)| term_match(field, value))
    .collect();
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_products()
            .service_code("AmazonEC2")
            .format_version("aws_v1")
            .set_filters(Some(filters.clone()))
            .max_results(PRODUCTS_PAGE_SIZE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| PriceError::PriceList { instance_type: instance_type.into(), region: region.into(), message: error_text(&e) })?;
        entries.extend(page.price_list().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    one_price(instance_type, region, &entries)
}

/// The Linux spot price records of `instance_type` over the `hours` before `now` (seconds since
/// the epoch), all pages. `client` must be for `region`.
///
/// # Errors
/// The call fails.
pub async fn spot_history(client: &aws_sdk_ec2::Client, region: &str, instance_type: &str, hours: u32, now: i64) -> Result<Vec<SpotRecord>, PriceError> {
    let end = aws_smithy_types::DateTime::from_secs(now);
    let start = aws_smithy_types::DateTime::from_secs(now - i64::from(hours) * 3600);
    let mut records = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_spot_price_history()
            .instance_types(aws_sdk_ec2::types::InstanceType::from(instance_type))
            .set_product_descriptions(Some(LINUX_SPOT_PRODUCTS.iter().map(ToString::to_string).collect()))
            .start_time(start)
            .end_time(end)
            .max_results(SPOT_PAGE_SIZE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| PriceError::SpotHistory { instance_type: instance_type.into(), region: region.into(), message: error_text(&e) })?;
        for record in page.spot_price_history() {
            let (Some(zone), Some(price)) = (record.availability_zone(), record.spot_price().and_then(|p| p.trim().parse::<f64>().ok())) else { continue };
            if price.is_finite() && price > 0.0 {
                records.push(SpotRecord { availability_zone: zone.to_string(), price });
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(records)
}

type Cell<V> = Arc<OnceCell<V>>;

/// One shared answer per key, each filled by the first asker.
type Cells<K, V> = Mutex<HashMap<K, Cell<V>>>;

/// The prices asked for in this provider process, each fetched once.
pub struct PriceBook {
    pricing: aws_sdk_pricing::Client,
    /// EC2 in the provider's region; other regions' clients are derived from it.
    ec2: aws_sdk_ec2::Client,
    ec2_region: String,
    /// By (region, instance type).
    on_demand: Cells<(String, String), f64>,
    /// By (region, instance type, lookback hours).
    spot: Cells<(String, String, u32), Vec<SpotRecord>>,
    ec2_by_region: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
}

fn cell<K: std::hash::Hash + Eq, V>(map: &Cells<K, V>, key: K) -> Cell<V> {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key).or_insert_with(|| Arc::new(OnceCell::new())).clone()
}

impl PriceBook {
    /// A price book over these clients; `ec2` is for `ec2_region`.
    pub fn new(pricing: aws_sdk_pricing::Client, ec2: aws_sdk_ec2::Client, ec2_region: &str) -> Self {
        Self {
            pricing,
            ec2,
            ec2_region: ec2_region.to_string(),
            on_demand: Mutex::default(),
            spot: Mutex::default(),
            ec2_by_region: Mutex::default(),
        }
    }

    /// The On-Demand price of a type in a region: one GetProducts query per process.
    ///
    /// # Errors
    /// As [`on_demand_price`].
    pub async fn on_demand(&self, region: &str, instance_type: &str) -> Result<f64, PriceError> {
        let cell = cell(&self.on_demand, (region.to_string(), instance_type.to_string()));
        cell.get_or_try_init(|| on_demand_price(&self.pricing, region, instance_type)).await.copied()
    }

    /// The spot price records of a type in a region over `hours` before `now`: one history
    /// query (all its pages) per process and window length.
    ///
    /// # Errors
    /// As [`spot_history`].
    pub async fn spot(&self, region: &str, instance_type: &str, hours: u32, now: i64) -> Result<Vec<SpotRecord>, PriceError> {
        let cell = cell(&self.spot, (region.to_string(), instance_type.to_string(), hours));
        let client = self.ec2_in(region);
        cell.get_or_try_init(|| spot_history(&client, region, instance_type, hours, now)).await.cloned()
    }

    /// The EC2 client for `region`: the provider's, or one like it signing for `region`.
    fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        if region == self.ec2_region {
            return self.ec2.clone();
        }
        let mut by_region = self.ec2_by_region.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_region
            .entry(region.to_string())
            .or_insert_with(|| aws_sdk_ec2::Client::from_conf(self.ec2.config().to_builder().region(Region::new(region.to_string())).build()))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The shape of botocore's GetProducts example (data/pricing/2017-10-15/examples-1.json),
    /// for an instance.
    fn entry(usd: &str, unit: &str) -> String {
        serde_json::json!({
            "product": {"productFamily": "Compute Instance", "attributes": {"instanceType": "m5.large", "regionCode": "us-east-1"}, "sku": "ABC"},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"ABC.JRTCKXETXF": {
                "priceDimensions": {"ABC.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}, "beginRange": "0", "endRange": "Inf"}},
                "sku": "ABC", "offerTermCode": "JRTCKXETXF", "termAttributes": {}
            }}},
            "version": "20261101000000"
        })
        .to_string()
    }

    #[test]
    fn hourly_usd_prices_are_read_from_the_on_demand_terms() {
        assert_eq!(hourly_prices_of_entry(&entry("0.0960000000", "Hrs")).unwrap(), vec![0.096]);
        assert_eq!(hourly_prices_of_entry(&entry("0.1380000000", "GB-Mo")).unwrap(), Vec::<f64>::new());
        assert!(hourly_prices_of_entry(&entry("ten cents", "Hrs")).unwrap_err().contains("not a number"));
        assert!(hourly_prices_of_entry("[1, 2]").unwrap_err().contains("not a Price List product"));
    }

    #[test]
    fn one_agreed_price_or_a_named_error() {
        assert_eq!(one_price("m5.large", "us-east-1", &[entry("0.096", "Hrs"), entry("0.0960000000", "Hrs")]), Ok(0.096));
        // A zero price (an unused reservation) never stands for the price.
        assert_eq!(one_price("m5.large", "us-east-1", &[entry("0.0", "Hrs"), entry("0.096", "Hrs")]), Ok(0.096));
        let missing = one_price("m5.large", "us-east-1", &[entry("0.0", "Hrs")]).unwrap_err();
        assert_eq!(missing, PriceError::NoOnDemandPrice { instance_type: "m5.large".into(), region: "us-east-1".into() });
        assert!(missing.to_string().contains("m5.large") && missing.to_string().contains("us-east-1"));
        let two = one_price("m5.large", "us-east-1", &[entry("0.096", "Hrs"), entry("0.192", "Hrs")]).unwrap_err();
        assert!(matches!(two, PriceError::AmbiguousOnDemandPrice { count: 2, .. }), "{two}");
    }

    #[test]
    fn pricing_signs_for_a_region_with_an_endpoint() {
        assert_eq!(pricing_region("eu-central-1"), "eu-central-1");
        assert_eq!(pricing_region("ap-south-1"), "ap-south-1");
        assert_eq!(pricing_region("eu-west-1"), "us-east-1");
        assert_eq!(pricing_region("cn-north-1"), "cn-northwest-1");
    }
}
