//! Static scanning of model files.
