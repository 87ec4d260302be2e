//! What can go wrong sealing or opening a setup's credentials for another computer.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("{0} is not an age recipient (age1…, as `csfle-provisioner-cli receive` prints it on the target computer)")]
    Recipient(String),
    #[error("the file is not an age file sealed to this computer")]
    NotForThisComputer,
    #[error("this computer's age identity in the keychain is damaged")]
    Identity,
}
