/*
 * rpc.h - the error codes of keikakud's JSON-RPC protocol, one list for both
 * ends: keikakud answers with them and keikaku tells them apart
 * (docs/protocol.md, "Errors").  Only the codes: the protocol's messages and
 * their data are each end's own.
 */
#ifndef KK_RPC_H
#define KK_RPC_H

enum {
	/* JSON-RPC 2.0's own. */
	KK_RPC_EPARSE = -32700,	  /* not JSON, not UTF-8, a duplicate key, too deep */
	KK_RPC_EREQUEST = -32600, /* not a request object; params neither object nor array */
	KK_RPC_EMETHOD = -32601,  /* no such method */
	KK_RPC_EPARAMS = -32602,  /* the method's params are wrong; the message names which */
	KK_RPC_EINTERNAL = -32603,
	/* Keikaku's. */
	KK_RPC_EFORBIDDEN = -32001,   /* the caller may not make this change */
	KK_RPC_ECONFLICT = -32002,    /* a field the patch touches changed since its base */
	KK_RPC_ERULES = -32003,	      /* the plan's rules refuse it */
	KK_RPC_EINVALID = -32004,     /* the result would not validate */
	KK_RPC_ENOTFOUND = -32005,    /* no such item, file or revision */
	KK_RPC_ELIMIT = -32006,	      /* a limit on what one caller may ask */
	KK_RPC_EUNAVAILABLE = -32007, /* keikakud is shutting down */
	KK_RPC_EWRITE = -32008,	      /* the repository could not be written */
	KK_RPC_EMIRRORS = -32009,     /* stored, but not on --sync-mirrors mirrors in time */
};

#endif
