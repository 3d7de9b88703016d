package kmod

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// mountTypes are the Go mirrors of the mount(2) arguments.
var mountTypes = []string{"uucred", "exportArgs30", "nullArgs", "tmpfsArgs", "ptyfsArgs", "procfsArgs"}

// goLayout type-checks the mount argument mirrors as the gc compiler lays
// them out for netbsd/arch (from the files that build there) and returns
// "T" -> size and "T.i" -> offset of field i.
func goLayout(t *testing.T, arch string) map[string]int64 {
	t.Helper()
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "netbsd", arch, false
	want := map[string]bool{}
	for _, n := range mountTypes {
		want[n] = true
	}
	fset := token.NewFileSet()
	decl := &ast.GenDecl{Tok: token.TYPE}
	for _, name := range []string{"mountargs.go", "tmpfsargs.go", "tmpfsargs_386.go"} {
		if ok, err := ctx.MatchFile(".", name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, sp := range g.Specs {
					if ts := sp.(*ast.TypeSpec); want[ts.Name.Name] {
						decl.Specs = append(decl.Specs, ts)
					}
				}
			}
		}
	}
	sizes := types.SizesFor("gc", arch)
	conf := types.Config{Sizes: sizes}
	pkg, err := conf.Check("p", fset, []*ast.File{{Name: ast.NewIdent("p"), Decls: []ast.Decl{decl}}}, nil)
	if err != nil {
		t.Fatalf("type-check the mirrors for %s: %v", arch, err)
	}
	lay := map[string]int64{}
	for _, n := range mountTypes {
		obj := pkg.Scope().Lookup(n)
		if obj == nil {
			t.Fatalf("%s: no type %s", arch, n)
		}
		st := obj.Type().Underlying().(*types.Struct)
		lay[n] = sizes.Sizeof(st)
		var fields []*types.Var
		for i := 0; i < st.NumFields(); i++ {
			fields = append(fields, st.Field(i))
		}
		for i, o := range sizes.Offsetsof(fields) {
			lay[fmt.Sprintf("%s.%s", n, st.Field(i).Name())] = o
		}
	}
	return lay
}

// The mount arguments on the 32-bit ports: 386 against the kit's i386
// headers; arm against the same headers with -malign-double, which gives
// 64-bit integers the 8-byte alignment of arm's EABI (the kit has no arm
// headers, so this is the ABI rule applied to the i386 view, not arm's own
// headers).
func TestNetBSDHeaders32(t *testing.T) {
	for _, c := range []struct {
		arch  string
		flags []string
	}{{"386", nil}, {"arm", []string{"-malign-double"}}} {
		lay := goLayout(t, c.arch)
		off := "__builtin_offsetof"
		facts := []cFact{
			{"sizeof(struct null_args)", uintptr(lay["nullArgs"])},
			{"sizeof(struct uucred)", uintptr(lay["uucred"])},
			{off + "(struct uucred, cr_uid)", uintptr(lay["uucred.uid"])},
			{"sizeof(struct export_args30)", uintptr(lay["exportArgs30"])},
			{"sizeof(struct tmpfs_args)", uintptr(lay["tmpfsArgs"])},
			{off + "(struct tmpfs_args, ta_nodes_max)", uintptr(lay["tmpfsArgs.nodesMax"])},
			{off + "(struct tmpfs_args, ta_size_max)", uintptr(lay["tmpfsArgs.sizeMax"])},
			{off + "(struct tmpfs_args, ta_root_uid)", uintptr(lay["tmpfsArgs.rootUID"])},
			{off + "(struct tmpfs_args, ta_root_mode)", uintptr(lay["tmpfsArgs.rootMode"])},
			{"sizeof(struct ptyfs_args)", uintptr(lay["ptyfsArgs"])},
			{"sizeof(struct procfs_args)", uintptr(lay["procfsArgs"])},
		}
		t.Run(c.arch, func(t *testing.T) {
			kitCompile(t, assertC([]string{
				"sys/types.h", "sys/mount.h", "sys/vnode.h",
				"miscfs/nullfs/null.h", "fs/tmpfs/tmpfs_args.h", "fs/ptyfs/ptyfs.h", "miscfs/procfs/procfs.h",
			}, facts), true, c.flags...)
		})
	}
}
