//! pipewright
