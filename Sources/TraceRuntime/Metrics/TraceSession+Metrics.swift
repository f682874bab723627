import Glibc

extension TraceSession {
    /// `--metrics-addr`: listens before any probe is attached (a taken port stops the run
    /// before it starts) and serves until the event loop ends.
    func startMetricsServer() throws -> MetricsServer? {
        guard let address = options.metricsAddress else { return nil }
        // The server thread gets its own reader and renderer: renderers cache symbol tables
        // and are not shared across threads. Map reads are syscalls on the map fds.
        let reader = MapReader(object: object)
        let maps = object.manifest.maps
        let encoder = MetricsEncoder(script: scriptName, maps: maps.map(MetricsMap.init))
        // SWTRACE_TIMING=1: where each scrape's time goes, for bench/metrics.
        let timing = getenv("SWTRACE_TIMING") != nil
        let server = try MetricsServer(address: address) { format in
            let start = MetricsServer.nowMicros()
            let snapshots = maps.map { reader.snapshot($0) }
            let read = MetricsServer.nowMicros()
            let page = encoder.encode(snapshots, format: format)
            if timing {
                let series = snapshots.reduce(0) { $0 + $1.entries.count }
                fputs("timing: scrape of \(series) entries: read \(read - start) us, encode \(MetricsServer.nowMicros() - read) us\n", stderr)
            }
            return page
        }
        try server.start()
        if !options.quiet { fputs("Serving metrics on http://\(server.address.description)/metrics\n", stderr) }
        return server
    }
}
